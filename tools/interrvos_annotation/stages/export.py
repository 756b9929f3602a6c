"""Assemble the InterRVOS-format split from the stage caches.

``meta_expressions.json``: per video ``vid_id``, ``frames`` and
``expressions`` ``{exp_id: {exp, obj_id, anno_id, caption_type,
"subject/object": {"obj_id": {"subject", "object"}, "anno_id": {...}},
expression_kind}}``; ``mask_dict.json`` is copied (or linked) from the source;
``JPEGImages`` is linked to the source frames.
"""
import os
import os.path as osp
import shutil


def _entry(text, video, subject, obj, caption_type, kind):
    anno = video.objects
    return {'exp': text, 'obj_id': list(subject),
            'anno_id': [anno[o] for o in subject],
            'caption_type': caption_type,
            'subject/object': {
                'obj_id': {'subject': list(subject), 'object': list(obj)},
                'anno_id': {'subject': [anno[o] for o in subject],
                            'object': [anno[o] for o in obj]}},
            'expression_kind': kind}


def build_meta(source, single, multi, interaction) -> dict:
    """Expressions of every video from the stage results (dicts by key)."""
    videos = {}
    for vid, video in source.videos.items():
        entries = []
        for oid in sorted(video.objects):
            rec = single.get(f'{vid}:{oid}')
            if rec:
                entries += [
                    _entry(rec['appearance'], video, [oid], [], 'single',
                           'appearance'),
                    _entry(rec['motion'], video, [oid], [], 'single',
                           'motion'),
                    _entry(rec['all'], video, [oid], [], 'single',
                           'appearance_motion')]
        rec = multi.get(vid)
        if rec and rec['merged'] == 'YES':
            entries.append(_entry(rec['merged_caption'], video,
                                  rec['merged_objects'], [], 'multi',
                                  'multi'))
        keys = sorted((k for k in interaction if k.startswith(vid + ':')
                       and k.count(':') - vid.count(':') == 2),
                      key=lambda k: tuple(int(x) for x in
                                          k[len(vid) + 1:].split(':')))
        for key in keys:
            rec = interaction[key]
            kind = ('bidirectional' if rec['type'] == 'bidirectional' else
                    f"unidirectional_{rec['form']}")
            for level in ('class_level', 'appearance_level'):
                entries.append(_entry(rec[level], video, rec['subject'],
                                      rec['object'], rec['type'], kind))
        seen, expressions = set(), {}
        for e in entries:
            sig = (e['exp'].lower(), tuple(e['obj_id']),
                   tuple(e['subject/object']['obj_id']['object']))
            if e['exp'].strip() and sig not in seen:
                seen.add(sig)
                expressions[str(len(expressions))] = e
        videos[vid] = {'vid_id': video.vid_id, 'frames': video.frames,
                       'expressions': expressions}
    return {'videos': videos}


class EmptySplitError(ValueError):
    """The built split has no expression."""


def count_expressions(meta: dict) -> int:
    """Number of expressions in a built ``meta_expressions`` dict."""
    return sum(len(v['expressions']) for v in meta['videos'].values())


def write_meta(path: str, meta: dict) -> int:
    """Write ``meta_expressions.json`` atomically; returns #expressions.

    Raises:
        EmptySplitError: The split has no expression (a dataset cannot load it);
            nothing is written.
    """
    from rvos_plugin.apis.llm import atomic_write_json
    num = count_expressions(meta)
    if num == 0:
        raise EmptySplitError(
            f'refusing to write {path}: the split has no expression '
            f'({len(meta["videos"])} videos; every stage item failed or was '
            'empty). See _annotation/failures.jsonl and summary.json.')
    atomic_write_json(path, meta)
    return num


def link_or_copy(src: str, dst: str, mode: str) -> None:
    """``mode`` in ``{'symlink', 'copy'}``; replaces an existing ``dst``."""
    if osp.lexists(dst):
        if osp.isdir(dst) and not osp.islink(dst):
            shutil.rmtree(dst)
        else:
            os.remove(dst)
    if mode == 'symlink':
        os.symlink(osp.abspath(src), dst)
    elif osp.isdir(src):
        shutil.copytree(src, dst)
    else:
        shutil.copy2(src, dst)
