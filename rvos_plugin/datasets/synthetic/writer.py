"""On-disk format of the synthetic set: InterRVOS/MeViS layout.

Per split::

    <split>/JPEGImages/<vid>/00000.jpg ...
    <split>/videos/<vid>.mp4                (optional)
    <split>/meta_expressions.json           InterRVOS keys + expression_kind
    <split>/mask_dict.json                  {"<anno_id>": [RLE or null, ...]}
    <split>/objects.json                    ground-truth attributes (oracle)
"""
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

import cv2
import numpy as np

from rvos_plugin.evaluation.functional.rle import encode_rle  # noqa: F401

from .expressions import Expression
from .scene import Scene

MP4_FOURCC = 'mp4v'


def frame_names(num_frames: int) -> List[str]:
    """``['00000', '00001', ...]``."""
    return [f'{i:05d}' for i in range(num_frames)]


def write_frames(frame_dir: str, frames: Sequence[np.ndarray],
                 jpeg_quality: int) -> None:
    """Write RGB frames as ``<frame_dir>/<00000>.jpg``.

    Raises:
        OSError: when OpenCV cannot write a file.
    """
    os.makedirs(frame_dir, exist_ok=True)
    for name, frame in zip(frame_names(len(frames)), frames):
        path = osp.join(frame_dir, f'{name}.jpg')
        ok = cv2.imwrite(path, cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                         [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        if not ok:
            raise OSError(f'OpenCV could not write {path}; check that the '
                          'directory is writable and the disk not full.')


def write_mp4(path: str, frames: Sequence[np.ndarray], fps: float) -> None:
    """Write RGB frames as an mp4 (``mp4v``) with ``cv2.VideoWriter``.

    Raises:
        ValueError: odd frame sizes (the codec would crop them).
        OSError: the OpenCV build cannot encode mp4.
    """
    h, w = frames[0].shape[:2]
    if h % 2 or w % 2:
        raise ValueError(f'mp4 needs even frame sizes, got {h}x{w} for '
                         f'{path}; use an even --size or pass --no-mp4.')
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*MP4_FOURCC), fps,
                             (w, h))
    if not writer.isOpened():
        raise OSError(f'cv2.VideoWriter cannot open {path} with the '
                      f'{MP4_FOURCC!r} codec; install opencv-python with '
                      'FFmpeg support or pass --no-mp4.')
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


def expression_entry(expr: Expression, anno_of: Dict[int, int]) -> Dict:
    """One ``meta_expressions.json`` expression in the InterRVOS format.

    Args:
        expr (Expression): generated expression (obj_ids).
        anno_of (dict): obj_id -> anno_id of the video.

    Returns:
        dict: keys ``exp, obj_id, anno_id, caption_type, subject/object,
        expression_kind``.
    """
    return {
        'exp': expr.text,
        'obj_id': list(expr.obj_ids),
        'anno_id': [anno_of[o] for o in expr.obj_ids],
        'caption_type': expr.caption_type,
        'subject/object': {
            'obj_id': {'subject': list(expr.subject),
                       'object': list(expr.object)},
            'anno_id': {'subject': [anno_of[o] for o in expr.subject],
                        'object': [anno_of[o] for o in expr.object]},
        },
        'expression_kind': expr.kind,
    }


def objects_entry(scene: Scene, vid_id: int, anno_of: Dict[int, int],
                  names: List[str]) -> Dict:
    """Ground-truth attributes of a video for ``objects.json`` (no masks)."""
    objects = []
    for obj in sorted(scene.objects, key=lambda o: o.obj_id):
        objects.append({
            'obj_id': obj.obj_id,
            'anno_id': anno_of[obj.obj_id],
            'colour': obj.colour,
            'shape': obj.shape,
            'size': obj.size,
            'motion': obj.motion,
            'z_order': obj.obj_id,
            'radius': round(float(obj.radius), 3),
            'centres': [[round(float(x), 3), round(float(y), 3)]
                        for x, y in obj.positions],
        })
    interactions = []
    for inter in scene.interactions:
        interactions.append({
            'verb': inter.verb,
            'caption_type': inter.caption_type,
            'actor': inter.actor,
            'target': inter.target,
            'actor_anno_id': anno_of[inter.actor],
            'target_anno_id': anno_of[inter.target],
            'direction': inter.direction,
            'contact_frame': inter.contact_frame,
        })
    return {
        'vid_id': vid_id,
        'frames': names,
        'height': scene.height,
        'width': scene.width,
        'objects': objects,
        'interactions': interactions,
    }


def dump_json(obj, path: str) -> None:
    """Deterministic JSON dump (insertion order, compact, trailing newline).

    Writes to a temporary file first, so a crash never leaves a truncated
    JSON behind.
    """
    tmp = f'{path}.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(obj, f, separators=(',', ':'), ensure_ascii=True)
        f.write('\n')
    os.replace(tmp, path)
