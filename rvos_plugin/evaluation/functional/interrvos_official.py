"""The official InterRVOS / ReVIOsA evaluation protocol (results.json RLEs).

What the authors' scripts compute (cvlab-kaist/InterRVOS,
``ReVIOSa/tools/eval/eval_interrvos.py``, ``eval_interrvos_target.py`` and
``eval_mevis.py``; the MeViS ``tools/eval_mevis.py`` aggregation), read in
``docs/decisions/evaluation.md``:

* Predictions: ``results.json`` ``{video: {exp_id: {...,
  "prediction_masks_act": [RLE per frame], "prediction_masks_tar": [...]}}}``
  (written by their ``ref_vos_eval.py``; several ``results_pid_<k>.json``
  are merged first). ``"prediction_masks"`` (Sa2VA's key) is read as the
  actor key when ``prediction_masks_act`` is absent.
* Per (video, expression), the frame size (H, W) is the ``size`` of the
  first predicted RLE; for every frame of the split's ``frames`` list the GT
  is the union of the RLEs of its anno ids in the mask dict (null = absent),
  the prediction is that frame's RLE; J and F are the DAVIS per-frame values
  (:mod:`~.davis`), averaged over all frames -> one (J, F) per expression.
* Final J and F are the plain means over the expressions, J&F = (J + F) / 2.
* A video missing from ``results.json`` is skipped (``continue``); an
  expression missing from a present video crashes the official worker,
  which loses it: both are "skip" here, reported with a warning
  (``missing='zero'`` scores them 0, ``'error'`` refuses).

Groups (InterRVOS Table 5 and the target script):

* ``Overall``: actor predictions vs the top-level ``anno_id`` over every
  expression of ``meta_expressions.json`` / ``mask_dict.json`` (what
  ``eval_mevis.py`` computes on the InterRVOS val folder);
* ``Actor-Target``: the same over the expressions of
  ``new_meta_expressions.json`` / ``new_mask_dict.json``
  (``eval_interrvos.py``);
* ``Referring``: ``Overall``'s expressions that are not in
  ``new_meta_expressions.json``;
* ``Target``: ``prediction_masks_tar`` vs
  ``subject/object.anno_id.object`` (must be non-empty) over
  ``new_meta_expressions.json`` (``eval_interrvos_target.py``).

Each RLE (GT object track or prediction) is decoded once per frame with the
checked :func:`~.rle.decode_rle`; frames are streamed so a 500-frame clip
never sits in memory as a (T, H, W) stack. No torch, no mmengine.
"""
import json
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .davis import boundary_radius, frame_jf
from .rle import decode_rle, rle_size

ACTOR_KEY = 'prediction_masks_act'
ACTOR_KEY_SA2VA = 'prediction_masks'
TARGET_KEY = 'prediction_masks_tar'
GROUPS = ('Referring', 'Actor-Target', 'Overall', 'Target')
MISSING_POLICIES = ('skip', 'zero', 'error')

_SHARED: dict = {}  # per-process read-only data, set by set_shared()


def load_json(path: str, what: str):
    """Read a JSON file; errors name the file and what it should be."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    try:
        with open(path) as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f'{path} is not valid JSON ({err}); expected the '
                         f'{what}.') from err


def load_split(meta_path: str, mask_path: str) -> Tuple[dict, dict]:
    """``videos`` of a MeViS-format meta file and its mask dict, checked."""
    meta = load_json(meta_path, 'meta_expressions file')
    if not isinstance(meta, dict) or not isinstance(meta.get('videos'), dict):
        raise ValueError(f'{meta_path} has no "videos" object: expected a '
                         'MeViS-format meta_expressions.json.')
    for video, info in meta['videos'].items():
        if not isinstance(info.get('frames'), list) or not isinstance(
                info.get('expressions'), dict):
            raise ValueError(f'{meta_path}: video {video} needs "frames" '
                             '(list) and "expressions" (object).')
    masks = load_json(mask_path, 'mask dict (anno_id -> per-frame RLEs)')
    if not isinstance(masks, dict):
        raise ValueError(f'{mask_path} must map anno_id to a list of RLEs.')
    return meta['videos'], masks


def load_results(paths: Sequence[str]) -> dict:
    """Merge official ``results.json`` / ``results_pid_<k>.json`` files.

    Like the authors' ``merge_json.py``: a (video, expression) present in
    two files is an error.
    """
    merged: Dict[str, dict] = {}
    for path in paths:
        data = load_json(path, 'results.json of the official inference')
        if not isinstance(data, dict):
            raise ValueError(f'{path} must map video -> expression -> '
                             'prediction (the official results.json).')
        for video, expressions in data.items():
            if not isinstance(expressions, dict):
                raise ValueError(f'{path}: video {video} must map exp_id to '
                                 'a prediction object.')
            slot = merged.setdefault(video, {})
            for exp_id, item in expressions.items():
                if exp_id in slot:
                    raise ValueError(f'{path}: {video}/{exp_id} is also in '
                                     'an earlier results file; merge each '
                                     'pid split once.')
                slot[exp_id] = item
    return merged


def target_anno_ids(expression: dict, name: str) -> List:
    """``subject/object.anno_id.object`` of an actor-target expression."""
    try:
        ids = expression['subject/object']['anno_id']['object']
    except (KeyError, TypeError):
        raise ValueError(f'{name} has no "subject/object" -> "anno_id" -> '
                         '"object" list: new_meta_expressions.json holds only '
                         'actor-target expressions.') from None
    if not ids:
        raise ValueError(f'{name}: empty target ("subject/object" anno_id '
                         'object); the official target script asserts >= 1.')
    return list(ids)


def actor_target_subset(videos: dict, masks: dict) -> Tuple[dict, dict]:
    """The actor-target subset files from a full InterRVOS-format split.

    Writes what the released val folder ships as ``new_meta_expressions.json``
    / ``new_mask_dict.json``, for splits that lack them (the synthetic set,
    a user's own data): the ``unidirectional`` expressions with a non-empty
    ``subject/object.anno_id.object`` (the dataset's ``has_target`` rule),
    same video / expression ids, and the masks of the anno ids they use.

    Args:
        videos (dict): ``meta_expressions.json['videos']``.
        masks (dict): ``mask_dict.json``.

    Returns:
        tuple[dict, dict]: (``{"videos": ...}`` subset meta, subset masks).
    """
    subset, used = {}, set()
    for video, info in videos.items():
        chosen = {}
        for exp_id, expression in info['expressions'].items():
            roles = (expression.get('subject/object') or {}).get(
                'anno_id') or {}
            if expression.get('caption_type') == 'unidirectional' and \
                    roles.get('object'):
                chosen[exp_id] = expression
                used.update(str(a) for a in expression.get('anno_id', []))
                used.update(str(a) for a in roles['object'])
        if chosen:
            subset[video] = dict(info, expressions=chosen)
    missing = sorted(used - set(masks))
    if missing:
        raise KeyError(f'anno ids {missing[:10]} of actor-target expressions '
                       'are not in the mask dict.')
    return {'videos': subset}, {a: masks[a] for a in sorted(used)}


def set_shared(splits: dict, results: dict, missing: str) -> None:
    """Set the per-process data: ``splits[name] = (videos, masks, path)``."""
    _SHARED.update(splits=splits, results=results, missing=missing)


def build_tasks(splits: dict) -> List[Tuple[str, tuple]]:
    """One task per video: ``(video, ((group, split, exp_id), ...))``.

    ``splits`` has ``'main'`` (meta_expressions / mask_dict) and optionally
    ``'new'`` (the actor-target subset).
    """
    jobs: Dict[str, list] = {}
    main_videos = splits['main'][0]
    for video in main_videos:
        for exp_id in main_videos[video]['expressions']:
            jobs.setdefault(video, []).append(('Overall', 'main', exp_id))
    if 'new' in splits:
        new_videos = splits['new'][0]
        for video in new_videos:
            for exp_id in new_videos[video]['expressions']:
                jobs.setdefault(video, []).append(
                    ('Actor-Target', 'new', exp_id))
                jobs[video].append(('Target', 'new', exp_id))
    return [(video, tuple(jobs[video])) for video in jobs]


def _prediction(video: str, exp_id: str, group: str, name: str):
    """The prediction RLE list of a job, or None when missing."""
    item = _SHARED['results'].get(video, {}).get(exp_id)
    if item is None:
        if _SHARED['missing'] == 'error':
            raise KeyError(f'{name}: no prediction in results.json (pass '
                           '--missing skip/zero to evaluate a partial file).')
        return None
    if not isinstance(item, dict):
        raise ValueError(f'results.json {video}/{exp_id} must be an object '
                         'with prediction_masks_act / prediction_masks_tar.')
    if group == 'Target':
        key = TARGET_KEY
    else:
        key = ACTOR_KEY if ACTOR_KEY in item else ACTOR_KEY_SA2VA
    rles = item.get(key)
    if not isinstance(rles, list) or not rles:
        raise ValueError(
            f'results.json {video}/{exp_id}: "{key}" is '
            f'{"missing" if rles is None else "empty or not a list"}; the '
            'official inference writes one RLE per frame (run it without '
            '--submit).')
    return key, rles


def evaluate_video(task) -> List[dict]:
    """Score every job of one video (runs in a worker).

    Returns:
        list[dict]: per job ``group``, ``key`` (``<video>_<exp_id>``, the
        official name), ``J``, ``F`` (None when skipped), ``status``
        (``'scored'``, ``'missing'``) and ``extra_frames``.
    """
    video, jobs = task
    prepared, out = [], []
    for group, split, exp_id in jobs:
        videos, masks, meta_path = _SHARED['splits'][split]
        expression = videos[video]['expressions'][exp_id]
        name = f'{meta_path}: video {video} expression {exp_id}'
        record = dict(group=group, key=f'{video}_{exp_id}', video=video,
                      exp_id=exp_id, J=None, F=None, status='scored',
                      extra_frames=0)
        out.append(record)
        if group == 'Target':
            anno_ids = target_anno_ids(expression, name)
        else:
            anno_ids = expression.get('anno_id')
            if not anno_ids:
                raise ValueError(f'{name} has no "anno_id" list.')
        num_frames = len(videos[video]['frames'])
        pred = _prediction(video, exp_id, group, name)
        if pred is None:
            record['status'] = 'missing'
            if _SHARED['missing'] == 'zero':
                record['J'] = record['F'] = 0.0
            continue
        key, rles = pred
        source = f'results.json {video}/{exp_id} "{key}"'
        size = rle_size(rles[0], source=f'{source} frame 0')
        if len(rles) < num_frames:
            raise ValueError(f'{source} has {len(rles)} masks but {name} has '
                             f'{num_frames} frames; predict every frame.')
        record['extra_frames'] = len(rles) - num_frames
        for anno_id in anno_ids:
            track = masks.get(str(anno_id))
            if track is None:
                raise KeyError(f'anno_id {anno_id} of {name} is not in the '
                               'mask dict of that split.')
            if len(track) < num_frames:
                raise ValueError(f'anno_id {anno_id} of {name} has '
                                 f'{len(track)} masks but the video has '
                                 f'{num_frames} frames.')
        prepared.append((record, (split, tuple(str(a) for a in anno_ids)),
                         (exp_id, key), rles, size, num_frames, []))
    if not prepared:
        return out
    for frame in range(max(p[5] for p in prepared)):
        gt_cache, pred_cache, union_cache = {}, {}, {}
        for record, gt_key, pred_key, rles, size, num_frames, values in \
                prepared:
            if frame >= num_frames:
                continue
            if pred_key not in pred_cache:
                pred_cache[pred_key] = decode_rle(
                    rles[frame], expected_hw=size,
                    source=f'results.json {video}/{pred_key[0]} '
                    f'"{pred_key[1]}" frame {frame}')
            if (gt_key, size) not in union_cache:
                split, anno_ids = gt_key
                union = np.zeros(size, dtype=bool)
                for anno_id in anno_ids:
                    rle = _SHARED['splits'][split][1][anno_id][frame]
                    if not rle:  # null (absent); the official `if mask_rle`
                        continue
                    if (split, anno_id) not in gt_cache:
                        gt_cache[(split, anno_id)] = decode_rle(
                            rle, expected_hw=size,
                            source=f'mask dict of {split} split, anno_id '
                            f'{anno_id} frame {frame} (video {video})')
                    union |= gt_cache[(split, anno_id)]
                union_cache[(gt_key, size)] = union
            values.append(frame_jf(union_cache[(gt_key, size)],
                                   pred_cache[pred_key],
                                   boundary_radius(size)))
    for record, _, _, _, _, _, values in prepared:
        array = np.asarray(values, dtype=np.float64)
        record['J'] = float(array[:, 0].mean())
        record['F'] = float(array[:, 1].mean())
    return out


def mean_jf(items: Iterable[Tuple[float, float]]) -> Optional[dict]:
    """``{J, F, J&F, num_expressions}``: plain means (official final)."""
    items = list(items)
    if not items:
        return None
    j = float(np.mean([item[0] for item in items]))
    f = float(np.mean([item[1] for item in items]))
    return {'J': j, 'F': f, 'J&F': (j + f) / 2, 'num_expressions': len(items)}


def summarize(records: List[dict], has_new: bool) -> dict:
    """Referring / Actor-Target / Overall / Target from the job records.

    Returns:
        dict: one ``{J, F, J&F, num_expressions}`` per group that has
        expressions (values in [0, 1]), ``per_expression`` (group ->
        official name -> [J, F]), ``missing`` (group -> skipped names) and
        ``extra_frames`` (predicted frames beyond the split's, not scored).
    """
    scored = [r for r in records if r['J'] is not None]
    by_group = {g: [r for r in scored if r['group'] == g] for g in GROUPS}
    if has_new:
        subset = {r['key'] for r in records if r['group'] == 'Actor-Target'}
        by_group['Referring'] = [r for r in by_group['Overall']
                                 if r['key'] not in subset]
    result = {}
    for group in GROUPS:
        summary = mean_jf((r['J'], r['F']) for r in by_group[group])
        if summary is not None:
            result[group] = summary
    result['per_expression'] = {
        group: {r['key']: [r['J'], r['F']] for r in by_group[group]}
        for group in GROUPS if group in result}
    result['missing'] = {
        group: [r['key'] for r in records
                if r['group'] == group and r['status'] == 'missing']
        for group in ('Overall', 'Actor-Target', 'Target')}
    result['extra_frames'] = int(sum(r['extra_frames'] for r in records))
    return result


def official_final(summary: dict) -> dict:
    """The authors' ``"final"`` block: percent, rounded to 2 decimals."""
    return {key: round(100 * summary[key], 2) for key in ('J', 'F', 'J&F')}
