"""Stage 2: single-object (appearance / motion / both) and multi-object
referring expressions from the stage-1 captions (Figures A8, A9)."""
import json

from .common import load_prompt, load_schema

STAGE_SINGLE = 'llama_single_object'
STAGE_MULTI = 'llama_multi_object'


def single_items(source, stage1):
    for video in source.videos.values():
        for oid in sorted(video.objects):
            key = f'{video.video_id}:{oid}'
            if key in stage1:
                yield key, (video, oid, stage1[key])


def multi_items(source, stage1):
    for video in source.videos.values():
        caps = {oid: stage1[f'{video.video_id}:{oid}']
                for oid in sorted(video.objects)
                if f'{video.video_id}:{oid}' in stage1}
        if len(caps) >= 2:
            yield video.video_id, (video, caps)


def make_single_work(backend, max_attempts=3):
    from rvos_plugin.apis.llm import query_json
    system = load_prompt('stage2_single_system.txt').template
    user = load_prompt('stage2_single_user.txt')
    schema = load_schema('stage2_single_object.json')

    def work(payload):
        video, oid, cap = payload
        messages = [{'role': 'system', 'content': system},
                    {'role': 'user', 'content': user.substitute(
                        appearance_caption=cap['appearance'],
                        motion_caption=cap['motion'])}]
        value, _ = query_json(
            backend, messages, schema,
            metadata=dict(task='interrvos_stage2_single',
                          video_id=video.video_id, obj_id=oid),
            max_attempts=max_attempts)
        return {k: value[k].strip() for k in ('all', 'motion', 'appearance')}
    return work


def make_multi_work(backend, max_attempts=3):
    from rvos_plugin.apis.llm import query_json
    system = load_prompt('stage2_multi_system.txt').template
    user = load_prompt('stage2_multi_user.txt')
    schema = load_schema('stage2_multi_object.json')

    def work(payload):
        video, caps = payload
        captions = {str(oid): f"{video.classes[oid]}: {c['motion']}"
                    for oid, c in caps.items()}

        def check(value):
            if value['merged'] == 'YES':
                ids = [str(i) for i in value['merged_objects']]
                bad = sorted(set(ids) - set(captions))
                if bad:
                    raise ValueError(f'merged_objects {bad} are not among '
                                     f'the object IDs {sorted(captions)}')
                if len(set(ids)) < 2:
                    raise ValueError('a merge needs at least two objects')

        messages = [{'role': 'system', 'content': system},
                    {'role': 'user', 'content': user.substitute(
                        video_objs_caption_dict=json.dumps(captions))}]
        value, _ = query_json(
            backend, messages, schema,
            metadata=dict(task='interrvos_stage2_multi',
                          video_id=video.video_id, obj_ids=sorted(caps)),
            max_attempts=max_attempts, check=check)
        if value['merged'] == 'YES':
            value['merged_objects'] = sorted(
                {int(i) for i in value['merged_objects']})
        return value
    return work
