"""Stage 1: one caption per object, the object outlined (Figure A7).

The VLM sees ``num_frames`` frames where the object is visible, with the
object's mask contours drawn in red, and answers two sentences (appearance,
motion), parsed into ``{"appearance", "motion"}``.
"""
import re

from .common import (draw_outlines, load_prompt, load_schema,
                     resize_max_side)

STAGE = 'gpt_single_object'
_SENTENCE = re.compile(r'(?<=[.!?])\s+(?=[A-Z"\'])')


def parse_two_sentences(answer: str) -> dict:
    """``"A red ball. It rolls left."`` -> appearance / motion."""
    text = re.sub(r'^\s*\d+[.)]\s*', '', answer.strip(), flags=re.M)
    text = ' '.join(text.replace('**', '').split())
    parts = [p.strip() for p in _SENTENCE.split(text) if p.strip()]
    if len(parts) < 2:
        raise ValueError('expected two sentences (appearance, then motion), '
                         f'got {len(parts)}: {answer[:120]!r}')
    return {'appearance': parts[0], 'motion': ' '.join(parts[1:])}


def items(source):
    for video in source.videos.values():
        for oid in sorted(video.objects):
            yield f'{video.video_id}:{oid}', (video, oid)


def make_work(source, backend, num_frames=8, max_side=768, max_attempts=3):
    from rvos_plugin.apis.llm import query_json
    prompt = load_prompt('stage1_user.txt')
    schema = load_schema('stage1_object_caption.json')

    def work(payload):
        video, oid = payload
        images = []
        for idx in source.sample_frames(video, [oid], num_frames):
            frame = source.frame(video, idx)
            images.append(resize_max_side(draw_outlines(
                frame, [source.mask(video, oid, idx)], [(255, 0, 0)]),
                max_side))
        messages = [{'role': 'user', 'content': prompt.substitute(
            obj_class=video.classes[oid])}]
        value, _ = query_json(
            backend, messages, schema, images=images,
            metadata=dict(task='interrvos_stage1', video_id=video.video_id,
                          obj_id=oid),
            max_attempts=max_attempts, parse=parse_two_sentences)
        return value
    return work
