"""Training samples for CREA (WSRVOS Sec. 3.2) read from official layouts.

Every reader returns the same sample dicts, keyed exactly as the WSRVOS
training pipeline looks them up (``LoadWSRVOSExpressions``:
``<prefix>:<video_id>:<exp_id>`` with the ``video_id``/``exp_id`` of the
dataset class used for training)::

    key         '<prefix>:<video_id>:<exp_id>' (output key)
    unit        generation unit: samples sharing it share one record
    video_id, exp_id, expression, obj_ids
    frame_dir, frame_names, frame_ext, video_path   (frames for the MLLM)

Readers:

- ``ref-ytvos``: the official Ref-YouTube-VOS train layout
  (``meta_expressions/train/meta_expressions.json`` + ``train/JPEGImages``),
  through :class:`RVOSRefYouTubeVOSDataset`; one unit per expression.
- ``a2d``: A2D-Sentences (``Release/videoset.csv``, ``Release/clips320H``
  mp4s, ``text_annotations/a2d_annotation.txt`` and the instance h5 files),
  through :class:`RVOSA2DSentencesDataset`; one sample per (query,
  annotated frame, instance) with ``exp_id`` ``{frame:05d}_{inst}``, and one
  unit per (video, instance, query): the MLLM and Eq. (1) see the whole
  video, so the annotated frames of a query share the record.
- ``mevis``: a MeViS-format split folder (``meta_expressions.json`` +
  ``JPEGImages``; also the synthetic set).
"""
import json
import os.path as osp
from typing import List, Optional

import numpy as np

DATASET_PREFIXES = {'ref-ytvos': 'ytvos', 'a2d': 'a2d', 'mevis': 'mevis'}


def _sample(prefix: str, info: dict, unit: Optional[str] = None) -> dict:
    key = f"{prefix}:{info['video_id']}:{info['exp_id']}"
    return dict(key=key, unit=unit or key, video_id=info['video_id'],
                exp_id=str(info['exp_id']), expression=info['expression'],
                obj_ids=[int(i) for i in info.get('obj_ids', [])],
                frame_dir=info['frame_dir'],
                frame_names=list(info['frame_names']),
                frame_ext=info.get('frame_ext', '.jpg'),
                video_path=info.get('video_path'))


def load_ref_ytvos_samples(data_root: str, prefix: str = 'ytvos',
                           split: str = 'train') -> List[dict]:
    """One sample per expression of the official Ref-YouTube-VOS layout.

    Raises:
        FileNotFoundError / RVOSAnnotationError naming the file and the fix
        (missing meta, missing frame folder, empty expression).
    """
    from rvos_plugin.datasets.ref_ytvos_dataset import \
        RVOSRefYouTubeVOSDataset
    meta = osp.join(data_root, 'meta_expressions', split,
                    'meta_expressions.json')
    if not osp.isfile(meta):
        raise FileNotFoundError(
            f'Ref-YouTube-VOS expressions not found: {meta!r}. Unzip '
            'meta_expressions.zip into the data root (layout in '
            'docs/datasets.md) or fix --data-root.')
    ds = RVOSRefYouTubeVOSDataset(data_root=data_root, split=split,
                                  with_masks=False, pipeline=[])
    return [_sample(prefix, ds.get_data_info(i)) for i in range(len(ds))]


def load_a2d_samples(data_root: str, prefix: str = 'a2d',
                     split: str = 'train') -> List[dict]:
    """Samples of A2D-Sentences, keyed as :class:`RVOSA2DSentencesDataset`.

    Raises:
        ValueError: two different queries for one (video, instance) would
            share a key.
    """
    from rvos_plugin.datasets.a2d_sentences_dataset import \
        RVOSA2DSentencesDataset
    ds = RVOSA2DSentencesDataset(data_root=data_root, split=split,
                                 pipeline=[])
    samples, texts = [], {}
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        s = _sample(prefix, info,
                    unit=f"{prefix}:{info['video_id']}:"
                    f"instance{info['instance_id']}")
        if texts.setdefault(s['key'], s['expression']) != s['expression']:
            raise ValueError(
                f'{ds.ann_file}: video {info["video_id"]!r} instance '
                f'{info["instance_id"]} has two different queries '
                f'({texts[s["key"]]!r}, {s["expression"]!r}); A2D keys '
                '<video>:<frame>_<instance> cannot tell them apart. Remove '
                'one of the rows.')
        samples.append(s)
    return samples


def load_mevis_samples(meta_path: str, prefix: str) -> List[dict]:
    """One sample per expression of a MeViS-format ``meta_expressions.json``.

    Frames are read from ``JPEGImages/<video>/`` next to the meta file.

    Raises:
        ValueError naming the file and item for malformed entries or empty
        expressions.
    """
    with open(meta_path, 'r', encoding='utf-8') as f:
        try:
            meta = json.load(f)
        except ValueError as e:
            raise ValueError(f'{meta_path} is not valid JSON ({e}); '
                             're-extract it.') from None
    videos = meta.get('videos') if isinstance(meta, dict) else None
    if not isinstance(videos, dict):
        raise ValueError(f'{meta_path}: expected {{"videos": {{...}}}}')
    frame_root = osp.join(osp.dirname(meta_path), 'JPEGImages')
    samples = []
    for vid in sorted(videos):
        video = videos[vid]
        for exp_id, exp in video.get('expressions', {}).items():
            text = exp.get('exp') if isinstance(exp, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f'{meta_path}: video {vid!r} expression '
                                 f'{exp_id!r} has an empty "exp"; fix or '
                                 'remove it')
            obj_ids = exp.get('obj_id', [])
            obj_ids = obj_ids if isinstance(obj_ids, list) else [obj_ids]
            samples.append(_sample(prefix, dict(
                video_id=vid, exp_id=str(exp_id), expression=text.strip(),
                obj_ids=obj_ids, frame_dir=osp.join(frame_root, vid),
                frame_names=[str(n) for n in video.get('frames', [])],
                frame_ext='.jpg', video_path=None)))
    return samples


def load_samples(dataset: str, data_root: str, prefix: Optional[str] = None,
                 split: str = 'train',
                 meta: str = 'meta_expressions.json') -> List[dict]:
    """Dispatch on ``dataset`` in ``('ref-ytvos', 'a2d', 'mevis')``.

    ``data_root`` is the dataset root for ``ref-ytvos``/``a2d`` and the split
    folder for ``mevis``.
    """
    if dataset not in DATASET_PREFIXES:
        raise ValueError(f'unknown dataset {dataset!r}; choose one of '
                         f'{sorted(DATASET_PREFIXES)}')
    prefix = prefix or DATASET_PREFIXES[dataset]
    if dataset == 'ref-ytvos':
        return load_ref_ytvos_samples(data_root, prefix, split)
    if dataset == 'a2d':
        return load_a2d_samples(data_root, prefix, split)
    return load_mevis_samples(osp.join(data_root, meta), prefix)


def load_sample_frames(sample: dict, num_frames: int,
                       max_side: int = 768) -> List[np.ndarray]:
    """``num_frames`` uniformly spaced RGB frames of the sample's video.

    Read from the mp4 (``video_path``, decord) when set, else from
    ``frame_dir/<name><frame_ext>``; the longer side is capped at
    ``max_side``.

    Returns:
        list of (H, W, 3) uint8 RGB arrays.
    """
    import cv2

    from rvos_plugin.datasets.transforms.loading import (read_frame,
                                                         read_video_frames)
    names = sample['frame_names']
    if not names:
        raise ValueError(f"{sample['key']!r}: the video lists no frames")
    idx = np.linspace(0, len(names) - 1,
                      min(num_frames, len(names))).round().astype(int)
    if sample.get('video_path'):
        frames = read_video_frames(sample['video_path'], idx.tolist())
    else:
        frames = [read_frame(osp.join(sample['frame_dir'],
                                      names[i] + sample['frame_ext']))
                  for i in idx]
    out = []
    for img in frames:
        scale = max_side / max(img.shape[:2])
        if scale < 1:
            img = cv2.resize(img, None, fx=scale, fy=scale,
                             interpolation=cv2.INTER_AREA)
        out.append(np.ascontiguousarray(img))
    return out
