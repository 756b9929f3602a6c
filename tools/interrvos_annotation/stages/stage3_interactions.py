"""Stage 3: interaction detection on index-labelled objects (Figures A10-11).

Every object of the video is outlined in its own colour with its label
(``[0]``, ``[1]``...) drawn next to it; the VLM reports bidirectional and
unidirectional interactions with one sentence per grammatical subject.
"""
import json
import re

from .common import (PALETTE, draw_outlines, load_prompt, load_schema,
                     resize_max_side)

STAGE = 'gpt_interaction'
LABEL = re.compile(r'\[\d+\]')


def sentence_subject(sentence: str):
    """The first label of a description is its grammatical subject."""
    found = LABEL.findall(sentence)
    return found[0] if found else None


def check_interactions(value: dict, valid_labels) -> None:
    """Semantic checks of Figure A11's selfCheck; raises ``ValueError``."""
    valid = set(valid_labels)
    for n, it in enumerate(value['interactions']):
        pair = it['object_pair']
        bad = sorted(set(pair) - valid)
        if bad:
            raise ValueError(f'interaction {n}: labels {bad} are not valid '
                             f'(valid: {sorted(valid)})')
        if len(set(pair)) < 2:
            raise ValueError(f'interaction {n}: object_pair needs two '
                             'distinct labels')
        for d in it['descriptions']:
            extra = sorted(set(LABEL.findall(d)) - set(pair))
            if extra:
                raise ValueError(f'interaction {n}: description {d!r} names '
                                 f'{extra}, not in object_pair {pair}')
        if it['type'] == 'unidirectional':
            subjects = {sentence_subject(d) for d in it['descriptions']}
            missing = sorted(set(pair) - subjects)
            if missing:
                raise ValueError(f'interaction {n}: {missing} never appear as '
                                 'the grammatical subject of a description')


def items(source):
    for video in source.videos.values():
        if len(video.objects) >= 2:
            yield video.video_id, video


def make_work(source, backend, num_frames=8, max_side=768, max_attempts=3):
    from rvos_plugin.apis.llm import query_json
    prompt = load_prompt('stage3_user.txt')
    schema = load_schema('stage3_interaction.json')

    def work(video):
        labels = video.labels
        order = list(labels.items())
        images = []
        for idx in source.sample_frames(video, [o for _, o in order],
                                        num_frames, min_present=2):
            frame = source.frame(video, idx)
            images.append(resize_max_side(draw_outlines(
                frame, [source.mask(video, o, idx) for _, o in order],
                [PALETTE[i % len(PALETTE)] for i in range(len(order))],
                labels=[lab for lab, _ in order]), max_side))
        categories = {lab: video.classes[o] for lab, o in order}
        messages = [{'role': 'user', 'content': prompt.substitute(
            valid_obj_ids=', '.join(labels), obj_categories=json.dumps(
                categories))}]
        value, _ = query_json(
            backend, messages, schema, images=images,
            metadata=dict(task='interrvos_stage3', video_id=video.video_id,
                          labels=labels),
            max_attempts=max_attempts,
            check=lambda v: check_interactions(v, labels))
        value['labels'] = labels
        return value
    return work
