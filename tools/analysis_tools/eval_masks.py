"""Evaluate predicted mask PNGs with the exact DAVIS J and F.

Two modes:

* Folders (DAVIS/any)::

      python tools/analysis_tools/eval_masks.py GT_DIR PRED_DIR \
          [--skip-first-last] [--out FILE.json] [--nproc N]

  ``GT_DIR/<video>/<frame>.png`` against ``PRED_DIR/<video>/<frame>.png``
  (non-zero = foreground, frames matched by name). A missing prediction
  frame is an empty mask (warned, with the count); a GT video without a
  prediction folder scores 0. J and F are averaged over the frames of a
  video, then over videos.

* MeViS-style GT (MeViS, InterRVOS)::

      python tools/analysis_tools/eval_masks.py PRED_DIR \
          --mevis-meta meta_expressions.json --mask-dict mask_dict.json

  The GT of an expression in a frame is the union of its ``anno_id`` masks
  (COCO RLE, null = absent), predictions are
  ``PRED_DIR/<video>/<exp_id>/<frame>.png``; averaged over the frames of an
  expression, then over expressions. A missing prediction folder scores 0.

Prints and writes ``{"J", "F", "J&F", "per_video" | "per_expression"}``
(values in [0, 1]). ``--nproc`` (default: the available cores) runs one
process pool over videos, started once; results stream back in order (the
output is identical for every N) behind a progress bar. Imports neither
torch nor mmengine; every PNG / RLE is decoded once.
"""
import argparse
import json
import os
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from light_eval_imports import import_functional  # noqa: E402

import_functional()  # no torch, no mmengine (docs/decisions/evaluation.md)
from rvos_plugin.evaluation.functional.davis import (  # noqa: E402
    boundary_radius, frame_jf)
from rvos_plugin.evaluation.functional.mask_io import \
    read_mask_png  # noqa: E402
from rvos_plugin.evaluation.functional.parallel import (  # noqa: E402
    available_cores, ordered_imap)
from rvos_plugin.evaluation.functional.rle import decode_rle  # noqa: E402

_SHARED: dict = {}  # per-worker read-only data (MeViS meta and masks)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Exact DAVIS J&F of mask PNG folders.')
    parser.add_argument(
        'dirs', nargs='+', metavar='DIR',
        help='GT_DIR PRED_DIR (folder mode) or PRED_DIR (MeViS mode)')
    parser.add_argument('--skip-first-last', action='store_true',
                        help='drop the first and last frame (DAVIS semi)')
    parser.add_argument('--out', help='write the results to this JSON file')
    parser.add_argument('--nproc', type=int, default=available_cores(),
                        help='worker processes (default: available cores); '
                        'the output is identical for every value')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    parser.add_argument('--mevis-meta',
                        help='MeViS-style meta_expressions.json')
    parser.add_argument('--mask-dict', help='MeViS-style mask_dict.json')
    args = parser.parse_args(argv)
    if bool(args.mevis_meta) != bool(args.mask_dict):
        parser.error('--mevis-meta and --mask-dict go together.')
    expected = 1 if args.mevis_meta else 2
    if len(args.dirs) != expected:
        parser.error('expected PRED_DIR with --mevis-meta/--mask-dict'
                     if args.mevis_meta else 'expected GT_DIR PRED_DIR')
    if args.nproc < 1:
        parser.error('--nproc must be >= 1')
    return args


def warn(message: str) -> None:
    """Print a warning on stderr (never silently drop anything)."""
    print(f'WARNING: {message}', file=sys.stderr, flush=True)


def list_pngs(folder: str) -> Dict[str, str]:
    """``{frame name without extension: path}`` of the PNGs in a folder."""
    return {
        name[:-4]: osp.join(folder, name)
        for name in sorted(os.listdir(folder))
        if name.lower().endswith('.png')
    }


def _check_size(pred: np.ndarray, gt: np.ndarray, pred_path: str,
                gt_name: str) -> None:
    if pred.shape != gt.shape:
        raise ValueError(
            f'size mismatch: prediction {pred_path} is '
            f'{pred.shape[1]}x{pred.shape[0]} (WxH) but the GT '
            f'{gt_name} is {gt.shape[1]}x{gt.shape[0]}; save '
            'predictions at the original resolution.')


def _kept_frames(num_frames: int, skip_first_last: bool, name: str):
    """Indices of the scored frames (all, or all but first and last)."""
    if skip_first_last:
        if num_frames < 3:
            raise ValueError(f'{name} has {num_frames} frames: '
                             '--skip-first-last needs at least 3.')
        return range(1, num_frames - 1)
    return range(num_frames)


def _means(values: list):
    """Mean J and F over the frames (numpy mean, as the official code)."""
    array = np.asarray(values, dtype=np.float64)
    return float(array[:, 0].mean()), float(array[:, 1].mean())


def eval_folder_video(task) -> dict:
    """Score one video of the folder mode (runs in a worker).

    Each PNG is read once; J and F per frame by the exact kernel, streamed
    (one frame of the video in memory at a time).
    """
    video, gt_dir, pred_dir, skip_first_last = task
    gt_frames = list_pngs(osp.join(gt_dir, video))
    if not gt_frames:
        raise ValueError(f'no PNG frame in the GT folder '
                         f'{osp.join(gt_dir, video)}.')
    pred_video = osp.join(pred_dir, video)
    if not osp.isdir(pred_video):
        return dict(key=video, J=0.0, F=0.0, missing_video=True,
                    missing_frames=0, extra_frames=0)
    pred_frames = list_pngs(pred_video)
    names = list(gt_frames)
    values, missing, radius = [], 0, None
    for index in _kept_frames(len(names), skip_first_last, f'video {video}'):
        gt_path = gt_frames[names[index]]
        gt = read_mask_png(gt_path)
        pred_path = pred_frames.get(names[index])
        if pred_path is None:
            missing += 1
            pred = np.zeros_like(gt)
        else:
            pred = read_mask_png(pred_path)
            _check_size(pred, gt, pred_path, gt_path)
        if radius is None or radius[0] != gt.shape:
            radius = (gt.shape, boundary_radius(gt.shape))
        values.append(frame_jf(gt, pred, radius[1]))
    j, f = _means(values)
    return dict(
        key=video, J=j, F=f, missing_video=False, missing_frames=missing,
        extra_frames=len(set(pred_frames) - set(gt_frames)))


def _init_mevis_worker(videos: dict, mask_dict: dict, source: str) -> None:
    _SHARED.update(videos=videos, mask_dict=mask_dict, source=source)


def _frame_shape(video: str) -> Optional[tuple]:
    """(H, W) of a video from any RLE of its objects (None if all null)."""
    for expression in _SHARED['videos'][video]['expressions'].values():
        for anno_id in expression.get('anno_id', []):
            for rle in _SHARED['mask_dict'].get(str(anno_id), []):
                if rle is not None:
                    return tuple(int(v) for v in rle['size'])
    return None


def _mevis_tracks(video: str, exp_id: str, frames: list) -> list:
    """The anno ids of an expression, checked against the mask dict."""
    source = _SHARED['source']
    anno_ids = _SHARED['videos'][video]['expressions'][exp_id].get('anno_id')
    name = f'video {video} expression {exp_id}'
    if not anno_ids:
        raise ValueError(f'{name} has no "anno_id" in the meta file.')
    for anno_id in anno_ids:
        if str(anno_id) not in _SHARED['mask_dict']:
            raise KeyError(f'anno_id {anno_id} of {name} is missing from '
                           f'the mask dict {source}.')
        track = _SHARED['mask_dict'][str(anno_id)]
        if len(track) != len(frames):
            raise ValueError(
                f'anno_id {anno_id} of {name} has {len(track)} masks in '
                f'{source} but the video has {len(frames)} frames.')
    return [str(a) for a in anno_ids]


def eval_mevis_video(task) -> List[dict]:
    """Score every expression of one video of the MeViS mode (a worker).

    Frame by frame: each object's RLE is decoded once (shared by the
    expressions that refer to it), each prediction PNG read once.
    """
    video, pred_dir, skip_first_last = task
    info = _SHARED['videos'][video]
    frames = info['frames']
    source = _SHARED['source']
    records, jobs = [], []
    for exp_id in sorted(info['expressions'], key=str):
        anno_ids = _mevis_tracks(video, exp_id, frames)
        caption_type = info['expressions'][exp_id].get('caption_type')
        record = dict(key=f'{video}/{exp_id}', J=0.0, F=0.0,
                      caption_type=caption_type, missing_video=True,
                      missing_frames=0, extra_frames=0)
        records.append(record)
        pred_folder = osp.join(pred_dir, video, exp_id)
        if not osp.isdir(pred_folder):
            continue
        record['missing_video'] = False
        pred_frames = list_pngs(pred_folder)
        record['extra_frames'] = len(set(pred_frames) - set(frames))
        jobs.append((record, anno_ids, pred_frames, []))
    if not jobs:
        return records
    shape = _frame_shape(video)
    if shape is None:  # no object visible anywhere: take the frame size
        existing = [p for job in jobs for p in job[2].values()]
        shape = read_mask_png(existing[0]).shape if existing else (1, 1)
    radius = boundary_radius(shape)
    kept = _kept_frames(len(frames), skip_first_last,
                        f'video {video}')
    for index in kept:
        frame = frames[index]
        decoded = {}
        for record, anno_ids, pred_frames, values in jobs:
            gt = np.zeros(shape, dtype=bool)
            for anno_id in anno_ids:
                rle = _SHARED['mask_dict'][anno_id][index]
                if rle is None:
                    continue
                if anno_id not in decoded:
                    decoded[anno_id] = decode_rle(
                        rle, expected_hw=shape, source=(
                            f'{source} (anno_id {anno_id}, video {video}, '
                            f'frame {frame})'))
                gt |= decoded[anno_id]
            pred_path = pred_frames.get(frame)
            if pred_path is None:
                record['missing_frames'] += 1
                pred = np.zeros(shape, dtype=bool)
            else:
                pred = read_mask_png(pred_path)
                _check_size(pred, gt, pred_path,
                            f'of {record["key"]} frame {frame}')
            values.append(frame_jf(gt, pred, radius))
    for record, _, _, values in jobs:
        record['J'], record['F'] = _means(values)
    return records


def summarize(scores: List[dict], unit: str, per_key: str) -> dict:
    """Means over ``scores`` plus warnings about missing predictions."""
    if not scores:
        raise ValueError(f'nothing to evaluate: no {unit} found in the GT.')
    missing_videos = [s['key'] for s in scores if s['missing_video']]
    missing_frames = sum(s['missing_frames'] for s in scores)
    extra_frames = sum(s['extra_frames'] for s in scores)
    if missing_videos:
        warn(
            f'{len(missing_videos)} {unit}(s) have no prediction folder and '
            f'score 0: {", ".join(missing_videos[:10])}'
            f'{" ..." if len(missing_videos) > 10 else ""}')
    if missing_frames:
        warn(f'{missing_frames} GT frame(s) have no prediction PNG '
                      'and were scored as empty masks.')
    if extra_frames:
        warn(f'{extra_frames} prediction PNG(s) have no GT frame of '
                      'the same name and were not scored.')
    j = float(np.mean([s['J'] for s in scores]))
    f = float(np.mean([s['F'] for s in scores]))
    result = {'J': j, 'F': f, 'J&F': (j + f) / 2, per_key: {
        s['key']: {'J': s['J'], 'F': s['F'], 'J&F': (s['J'] + s['F']) / 2}
        for s in scores
    }}
    groups = defaultdict(list)
    for score in scores:
        if score.get('caption_type') is not None:
            groups[score['caption_type']].append(score)
    if groups:
        result['per_caption_type'] = {}
        for value, members in sorted(groups.items()):
            gj = float(np.mean([s['J'] for s in members]))
            gf = float(np.mean([s['F'] for s in members]))
            result['per_caption_type'][value] = {
                'J': gj, 'F': gf, 'J&F': (gj + gf) / 2,
                'num_expressions': len(members)}
    return result


def evaluate_folders(gt_dir: str, pred_dir: str, skip_first_last=False,
                     nproc: int = 1, progress: bool = False) -> dict:
    """Folder mode: mean over frames per video, then over videos."""
    for folder in (gt_dir, pred_dir):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'folder not found: {folder}')
    videos = sorted(v for v in os.listdir(gt_dir)
                    if osp.isdir(osp.join(gt_dir, v)))
    extra = set(os.listdir(pred_dir)) - set(videos)
    extra = [v for v in extra if osp.isdir(osp.join(pred_dir, v))]
    if extra:
        warn(f'{len(extra)} prediction video folder(s) are not in '
             f'the GT and were not scored: {sorted(extra)[:10]}')
    tasks = [(v, gt_dir, pred_dir, skip_first_last) for v in videos]
    scores = list(ordered_imap(eval_folder_video, tasks, nproc,
                               desc='J&F', progress=progress))
    return summarize(scores, 'video', 'per_video')


def _load_json(path: str, what: str):
    if not osp.isfile(path):
        raise FileNotFoundError(f'file not found: {path}')
    try:
        with open(path) as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f'{path} is not valid JSON ({err}); expected a '
                         f'MeViS-style {what}.') from err


def evaluate_mevis(meta_file: str, mask_dict_file: str, pred_dir: str,
                   skip_first_last=False, nproc: int = 1,
                   progress: bool = False) -> dict:
    """MeViS mode: mean over frames per (video, exp), then over pairs."""
    meta = _load_json(meta_file, 'meta_expressions.json')
    if not isinstance(meta, dict) or not isinstance(meta.get('videos'),
                                                    dict):
        raise ValueError(f'{meta_file} has no "videos" object: expected a '
                         'MeViS meta_expressions.json.')
    mask_dict = _load_json(mask_dict_file, 'mask_dict.json')
    if not isinstance(mask_dict, dict):
        raise ValueError(f'{mask_dict_file}: expected a JSON object '
                         '{anno_id: [RLE or null per frame]}.')
    if not osp.isdir(pred_dir):
        raise FileNotFoundError(f'prediction folder not found: {pred_dir}')
    videos = meta['videos']
    for video, info in videos.items():
        if not isinstance(info, dict) or not isinstance(
                info.get('expressions'), dict):
            raise ValueError(f'{meta_file}: video {video!r} needs an '
                             '"expressions" object.')
        frames = info.get('frames')
        if not isinstance(frames, list) or not frames or not all(
                isinstance(f, str) and f for f in frames):
            raise ValueError(
                f'{meta_file}: video {video!r}: "frames" is {frames!r}; it '
                'must be a non-empty list of frame names without extension, '
                'e.g. ["00000", "00005"].')
    tasks = [(video, pred_dir, skip_first_last) for video in sorted(videos)]
    scores = []
    for records in ordered_imap(eval_mevis_video, tasks, nproc,
                                initializer=_init_mevis_worker,
                                initargs=(videos, mask_dict, mask_dict_file),
                                desc='J&F', progress=progress):
        scores.extend(records)
    return summarize(scores, 'expression', 'per_expression')


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    if args.mevis_meta:
        result = evaluate_mevis(args.mevis_meta, args.mask_dict,
                                args.dirs[0], args.skip_first_last,
                                args.nproc, not args.no_progress)
    else:
        result = evaluate_folders(args.dirs[0], args.dirs[1],
                                  args.skip_first_last, args.nproc,
                                  not args.no_progress)
    unit, label = (('per_video', 'videos') if 'per_video' in result else
                   ('per_expression', 'expressions'))
    print(f'J&F {result["J&F"]:.4f}  J {result["J"]:.4f}  '
          f'F {result["F"]:.4f}  ({len(result[unit])} {label})')
    print(json.dumps({key: result[key] for key in ('J', 'F', 'J&F')}))
    for value, group in result.get('per_caption_type', {}).items():
        print(f'  {value}: J&F {group["J&F"]:.4f}  J {group["J"]:.4f}  '
              f'F {group["F"]:.4f}  ({group["num_expressions"]})')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'results written to {args.out}')
    return result


if __name__ == '__main__':
    main()
