"""Stage 4: interaction referring expressions, class- and appearance-level
(Figures A12 bidirectional, A13 unidirectional).

Each stage-3 description becomes one request. For a unidirectional
interaction the description's grammatical subject is the referred object
(``subject``), the other labels of the pair are ``object``; the first
description (initiator as subject) is the active form, the others passive.
"""
import json

from .common import load_prompt, load_schema
from .stage3_interactions import sentence_subject

STAGE = 'llama_interaction'


def items(source, stage2_single, stage3):
    for vid, video in source.videos.items():
        if vid not in stage3:
            continue
        inter = stage3[vid]
        labels = inter['labels']
        for i, it in enumerate(inter['interactions']):
            for j, desc in enumerate(it['descriptions']):
                if it['type'] == 'bidirectional' and j > 0:
                    break  # one sentence per bidirectional interaction
                subject = sentence_subject(desc)
                pair = list(it['object_pair'])
                caps = {}
                for lab in pair:
                    key = f'{vid}:{labels[lab]}'
                    if key in stage2_single:
                        caps[lab] = stage2_single[key]['appearance']
                    else:
                        caps[lab] = video.classes[labels[lab]]
                yield f'{vid}:{i}:{j}', dict(
                    video=video, labels=labels, type=it['type'],
                    description=desc, subject_label=subject,
                    pair_labels=pair, obj_captions=caps,
                    form='active' if j == 0 else 'passive')


def make_work(backend, max_attempts=3):
    from rvos_plugin.apis.llm import query_json
    prompts = {
        'bidirectional': (load_prompt('stage4_bidirectional_system.txt'),
                          load_prompt('stage4_bidirectional_user.txt')),
        'unidirectional': (load_prompt('stage4_unidirectional_system.txt'),
                           load_prompt('stage4_unidirectional_user.txt')),
    }
    schema = load_schema('stage4_interaction_caption.json')

    def work(p):
        if p['subject_label'] is None:
            raise ValueError(f"description {p['description']!r} names no "
                             'object label')
        system, user = prompts[p['type']]
        objects = [lab for lab in p['pair_labels']
                   if lab != p['subject_label']]
        content = user.substitute(
            obj_captions=json.dumps(p['obj_captions']),
            interaction_description=p['description'],
            subject_id=p['subject_label'], object_id=', '.join(objects))
        messages = [{'role': 'system', 'content': system.template},
                    {'role': 'user', 'content': content}]
        value, _ = query_json(
            backend, messages, schema,
            metadata=dict(task='interrvos_stage4',
                          video_id=p['video'].video_id, labels=p['labels'],
                          subject_label=p['subject_label'],
                          pair_labels=p['pair_labels']),
            max_attempts=max_attempts)
        labels = p['labels']
        if p['type'] == 'bidirectional':
            subj, obj = [labels[lab] for lab in p['pair_labels']], []
        else:
            subj = [labels[p['subject_label']]]
            obj = [labels[lab] for lab in objects]
        return dict(class_level=value['class_level'].strip(),
                    appearance_level=value['appearance_level'].strip(),
                    type=p['type'], form=p['form'],
                    description=p['description'],
                    subject=subj, object=obj)
    return work
