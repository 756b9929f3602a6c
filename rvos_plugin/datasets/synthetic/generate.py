"""``generate_synthetic_rvos``: the embedded default RVOS dataset.

Deterministic from the seed: video ``i`` of a split depends only on
``(seed, split, i)`` and the frame/object parameters, never on how many
videos are generated, so a larger set extends a smaller one.
"""
import json
import os
import os.path as osp
import shutil
import time
from collections import Counter
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .expressions import (GENERIC_REFERENT_PROB, KIND_TO_CAPTION_TYPE,
                          generate_expressions)
from .render import render_scene
from .scene import sample_scene
from .writer import (dump_json, encode_rle, expression_entry, frame_names,
                     objects_entry, write_frames, write_mp4)

# Bump when the generator's output changes, so old datasets are regenerated.
GENERATOR_VERSION = 1
SPLITS = ('train', 'valid')
PARAMS_FILE = 'generation_params.json'
SPLIT_FILES = ('meta_expressions.json', 'mask_dict.json', 'objects.json')


def _frame_size(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if len(size) != 2:
        raise ValueError(
            f'size must be an int or (height, width), got {size}.')
    return int(size[0]), int(size[1])


def video_rngs(seed: int, split: str,
               index: int) -> Tuple[np.random.Generator, ...]:
    """Independent generators (scene, expressions, pixels) of one video."""
    seq = np.random.SeedSequence([seed, SPLITS.index(split), index])
    return tuple(np.random.default_rng(s) for s in seq.spawn(3))


def generate_split(out_dir: str, split: str, num_videos: int,
                   params: Dict) -> Dict:
    """Generate one split; returns its statistics.

    Args:
        out_dir (str): dataset root.
        split (str): ``'train'`` or ``'valid'``.
        num_videos (int): number of videos.
        params (dict): generation parameters (see ``generate_synthetic_rvos``).

    Returns:
        dict: counts of videos, frames, objects, expressions per kind and
        caption type, interactions per verb.
    """
    split_dir = osp.join(out_dir, split)
    os.makedirs(split_dir, exist_ok=True)
    height, width = params['height'], params['width']
    meta, masks_out, objects_out = {}, {}, {}
    next_anno = 0
    stats = dict(videos=0, frames=0, objects=0, expressions=0)
    kinds, caption_types, verbs = Counter(), Counter(), Counter()
    # the valid split always keeps the default, so it stays comparable
    generic_prob = GENERIC_REFERENT_PROB
    if split == 'train':
        generic_prob = params.get('train_generic_referent_prob',
                                  GENERIC_REFERENT_PROB)
    for index in range(num_videos):
        vid = f'{split}_{index:05d}'
        scene_rng, text_rng, pixel_rng = video_rngs(params['seed'], split,
                                                    index)
        num_frames = int(scene_rng.integers(params['min_frames'],
                                            params['max_frames'] + 1))
        scene = sample_scene(scene_rng, index, height, width, num_frames,
                             params['min_objects'], params['max_objects'])
        expressions = generate_expressions(text_rng, scene.objects,
                                           scene.interactions, generic_prob)
        frames, masks = render_scene(scene, pixel_rng)
        names = frame_names(num_frames)
        write_frames(osp.join(split_dir, 'JPEGImages', vid), frames,
                     params['jpeg_quality'])
        if params['write_mp4']:
            write_mp4(osp.join(split_dir, 'videos', f'{vid}.mp4'), frames,
                      params['fps'])
        anno_of = {}
        for obj in sorted(scene.objects, key=lambda o: o.obj_id):
            anno_of[obj.obj_id] = next_anno
            masks_out[str(next_anno)] = [
                encode_rle(m) for m in masks[obj.obj_id]
            ]
            next_anno += 1
        meta[vid] = {
            'vid_id': index,
            'frames': names,
            'expressions': {
                str(i): expression_entry(e, anno_of)
                for i, e in enumerate(expressions)
            },
        }
        objects_out[vid] = objects_entry(scene, index, anno_of, names)
        stats['videos'] += 1
        stats['frames'] += num_frames
        stats['objects'] += len(scene.objects)
        stats['expressions'] += len(expressions)
        kinds.update(e.kind for e in expressions)
        caption_types.update(e.caption_type for e in expressions)
        verbs.update(i.verb for i in scene.interactions)
    dump_json({'videos': meta}, osp.join(split_dir, 'meta_expressions.json'))
    dump_json(masks_out, osp.join(split_dir, 'mask_dict.json'))
    dump_json({'videos': objects_out}, osp.join(split_dir, 'objects.json'))
    stats['expressions_per_kind'] = {k: kinds[k] for k in KIND_TO_CAPTION_TYPE}
    stats['expressions_per_caption_type'] = {
        c: caption_types[c]
        for c in ('single', 'multi', 'bidirectional', 'unidirectional')
    }
    stats['interactions_per_verb'] = dict(sorted(verbs.items()))
    return stats


def _dir_bytes(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        total += sum(osp.getsize(osp.join(root, f)) for f in files)
    return total


def _is_complete(out_dir: str, recorded: Dict) -> bool:
    if not recorded.get('complete'):
        return False
    for split in SPLITS:
        for name in SPLIT_FILES:
            if not osp.isfile(osp.join(out_dir, split, name)):
                return False
        num = recorded['summary']['splits'][split]['videos']
        frame_root = osp.join(out_dir, split, 'JPEGImages')
        if num and (not osp.isdir(frame_root)
                    or len(os.listdir(frame_root)) != num):
            return False
    return True


def _clear_outputs(out_dir: str) -> None:
    """Remove only what the generator writes."""
    for split in SPLITS:
        shutil.rmtree(osp.join(out_dir, split), ignore_errors=True)
    params_path = osp.join(out_dir, PARAMS_FILE)
    if osp.exists(params_path):
        os.remove(params_path)


def generate_synthetic_rvos(out_dir: str,
                            seed: int = 0,
                            num_train: int = 300,
                            num_val: int = 60,
                            size: Union[int, Sequence[int]] = 96,
                            min_frames: int = 8,
                            max_frames: int = 16,
                            min_objects: int = 2,
                            max_objects: int = 4,
                            write_mp4: bool = True,
                            fps: float = 10.0,
                            jpeg_quality: int = 95,
                            train_generic_referent_prob: float =
                            GENERIC_REFERENT_PROB,
                            force: bool = False) -> Dict:
    """Generate (or reuse) the synthetic RVOS dataset at ``out_dir``.

    Idempotent: if ``<out_dir>/generation_params.json`` records a complete
    dataset with the same parameters, nothing is written and the recorded
    summary is returned with ``skipped=True``.

    Args:
        out_dir (str): dataset root (``<out_dir>/{train,valid}/...``).
        seed (int): master seed.
        num_train (int): videos in ``train``.
        num_val (int): videos in ``valid``.
        size (int | tuple): frame size, ``S`` (square) or ``(H, W)``.
        min_frames (int): fewest frames per video (>= 6).
        max_frames (int): most frames per video.
        min_objects (int): fewest objects per video (>= 1).
        max_objects (int): most objects per video (<= 6).
        write_mp4 (bool): also write ``videos/<vid>.mp4``.
        fps (float): mp4 frame rate.
        jpeg_quality (int): JPEG quality of the frames.
        train_generic_referent_prob (float): probability that a
            unidirectional expression of the *train* split names its
            referred object generically ("the object pushing the red
            circle"). The valid split always uses the default
            (``GENERIC_REFERENT_PROB``, .25), so it is the same whatever
            this value; only a non-default value is recorded in the
            parameters, so datasets generated before it existed are reused.
        force (bool): regenerate even if a dataset exists.

    Returns:
        dict: ``params``, ``splits`` (per-split statistics), ``seconds``,
        ``bytes`` on disk, ``out_dir`` and ``skipped``.

    Raises:
        ValueError: invalid parameters.
        FileExistsError: ``out_dir`` holds a different dataset and
            ``force`` is False.
    """
    height, width = _frame_size(size)
    if min(height, width) < 32:
        raise ValueError(f'Frames must be at least 32x32, got {height}x'
                         f'{width}.')
    if not 6 <= min_frames <= max_frames:
        raise ValueError('Need 6 <= min_frames <= max_frames (contacts need '
                         f'frames before and after), got {min_frames}, '
                         f'{max_frames}.')
    if not 1 <= min_objects <= max_objects <= 6:
        raise ValueError('Need 1 <= min_objects <= max_objects <= 6, got '
                         f'{min_objects}, {max_objects}.')
    if num_train < 0 or num_val < 0:
        raise ValueError('num_train and num_val must be >= 0.')
    params = dict(
        generator_version=GENERATOR_VERSION,
        seed=int(seed),
        num_train=int(num_train),
        num_val=int(num_val),
        height=height,
        width=width,
        min_frames=int(min_frames),
        max_frames=int(max_frames),
        min_objects=int(min_objects),
        max_objects=int(max_objects),
        write_mp4=bool(write_mp4),
        fps=float(fps),
        jpeg_quality=int(jpeg_quality))
    if not 0.0 <= train_generic_referent_prob <= 1.0:
        raise ValueError('train_generic_referent_prob must be in [0, 1], '
                         f'got {train_generic_referent_prob}.')
    if train_generic_referent_prob != GENERIC_REFERENT_PROB:
        params['train_generic_referent_prob'] = float(
            train_generic_referent_prob)
    params_path = osp.join(out_dir, PARAMS_FILE)
    recorded: Optional[Dict] = None
    if osp.isfile(params_path):
        with open(params_path, encoding='utf-8') as f:
            recorded = json.load(f)
    stale = (recorded is not None and recorded.get('params', {}).get(
        'generator_version') != GENERATOR_VERSION)
    if not force and not stale:
        # A dataset written by an older generator version is our own output
        # and is regenerated; anything else needs force=True.
        if recorded is not None and _is_complete(out_dir, recorded):
            if recorded['params'] == params:
                return dict(recorded['summary'],
                            out_dir=osp.abspath(out_dir),
                            skipped=True)
            diff = {
                k: (recorded['params'].get(k), v)
                for k, v in params.items() if recorded['params'].get(k) != v
            }
            raise FileExistsError(
                f'{out_dir} holds a synthetic dataset generated with other '
                f'parameters (recorded, requested): {diff}. Pass force=True '
                '(--force) to regenerate it, or choose another out_dir.')
        if recorded is None and any(
                osp.exists(osp.join(out_dir, s)) for s in SPLITS):
            raise FileExistsError(
                f'{out_dir} already contains {SPLITS} folders not written by '
                f'this generator (no {PARAMS_FILE}). Choose another out_dir '
                'or pass force=True (--force) to overwrite them.')
    _clear_outputs(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    dump_json(dict(params=params, complete=False), params_path)
    start = time.perf_counter()
    splits = {
        'train': generate_split(out_dir, 'train', num_train, params),
        'valid': generate_split(out_dir, 'valid', num_val, params),
    }
    seconds = time.perf_counter() - start
    summary = dict(
        out_dir=osp.abspath(out_dir),
        params=params,
        splits=splits,
        seconds=round(seconds, 3),
        bytes=sum(_dir_bytes(osp.join(out_dir, s)) for s in SPLITS))
    dump_json(dict(params=params, complete=True, summary=summary),
              params_path)
    return dict(summary, skipped=False)
