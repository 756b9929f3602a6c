"""Write what :class:`RVOSInferencer` predicts: mask PNGs, a MeViS /
InterRVOS mask dict with its expressions file, and overlay videos.

Output folder of ``demo/video_demo.py`` (docs/inference.md)::

    <out_dir>/masks/<exp>/<frame>.png         0 / 255 per segmented frame
    <out_dir>/masks/<exp>_target/<frame>.png  ReVIOsA's target
    <out_dir>/masks.json                      {anno_id: [RLE or null]}
    <out_dir>/meta_expressions.json           {"videos": {<video>: ...}}
    <out_dir>/overlay.mp4 (+ overlay.gif)     H.264, expressions drawn

``masks.json`` + ``meta_expressions.json`` are the MeViS / InterRVOS
annotation layout.
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import numpy as np

from rvos_plugin.evaluation.functional.mask_io import write_mask_png
from rvos_plugin.evaluation.functional.rle import encode_rle


def expression_folder(index: int, expression: str) -> str:
    """A file-system-safe folder name: ``<index>_<slug of the words>``."""
    slug = re.sub(r'[^a-z0-9]+', '-', expression.lower()).strip('-')
    return f'{index}_{slug[:48] or "expression"}'


class MaskDictWriter:
    """Accumulate masks window by window; write MeViS-layout JSON files.

    Anno ids: expression ``i`` has actor id ``2 i`` and, when the model
    gives one, target id ``2 i + 1``. Frames that were not segmented
    (``frame_stride`` > 1) are ``null``, i.e. absent.
    """

    def __init__(self, video_name: str, frame_names: Sequence[str],
                 expressions: Sequence[str]):
        self.video_name = video_name
        self.frame_names = list(frame_names)
        self.expressions = list(expressions)
        self.rles: Dict[str, List[Optional[dict]]] = {}

    def _track(self, anno_id: int) -> List[Optional[dict]]:
        return self.rles.setdefault(str(anno_id),
                                    [None] * len(self.frame_names))

    def add(self, frame_inds: Sequence[int], predictions: Sequence[dict]):
        """Add one window (``RVOSInferencer.stream`` output)."""
        for i, pred in enumerate(predictions):
            for key, anno_id in (('masks', 2 * i), ('target_masks',
                                                    2 * i + 1)):
                if key not in pred:
                    continue
                track = self._track(anno_id)
                for t, mask in zip(frame_inds, pred[key]):
                    track[t] = encode_rle(mask)

    def write(self, out_dir: str) -> None:
        import json
        videos = {self.video_name: dict(frames=self.frame_names,
                                        expressions={})}
        for i, exp in enumerate(self.expressions):
            item = dict(exp=exp, obj_id=[2 * i], anno_id=[2 * i])
            if str(2 * i + 1) in self.rles:
                item['subject/object'] = dict(
                    obj_id=dict(subject=[2 * i], object=[2 * i + 1]),
                    anno_id=dict(subject=[2 * i], object=[2 * i + 1]))
            videos[self.video_name]['expressions'][str(i)] = item
        os.makedirs(out_dir, exist_ok=True)
        with open(osp.join(out_dir, 'masks.json'), 'w') as f:
            json.dump(self.rles, f)
        with open(osp.join(out_dir, 'meta_expressions.json'), 'w') as f:
            json.dump(dict(videos=videos), f, indent=1)


def write_mask_pngs(out_dir: str, frame_names: Sequence[str],
                    frame_inds: Sequence[int], predictions: Sequence[dict]):
    """``<out_dir>/masks/<exp>[_target]/<frame>.png`` for one window."""
    for i, pred in enumerate(predictions):
        folder = expression_folder(i, pred['expression'])
        for key, suffix in (('masks', ''), ('target_masks', '_target')):
            if key not in pred:
                continue
            for t, mask in zip(frame_inds, pred[key]):
                write_mask_png(
                    osp.join(out_dir, 'masks', folder + suffix,
                             frame_names[t] + '.png'), mask)


class OverlayVideoWriter:
    """H.264 mp4 (PyAV / libx264, plays in browsers) and optional GIF.

    Args:
        path (str): ``.mp4`` output.
        fps (float): Frame rate.
        gif_path (str, optional): Also write an animated GIF there.
    """

    def __init__(self, path: str, fps: float,
                 gif_path: Optional[str] = None):
        self.path, self.fps, self.gif_path = path, max(1.0, fps), gif_path
        self._container = self._stream = None
        self._gif: List = []
        self.num_frames = 0

    def write(self, frame: np.ndarray) -> None:
        """Append one RGB uint8 (H, W, 3) frame."""
        import av
        h, w = frame.shape[:2]
        frame = frame[:h - h % 2, :w - w % 2]  # yuv420p: even sizes
        if self._container is None:
            os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
            self._container = av.open(self.path, 'w')
            from fractions import Fraction
            self._stream = self._container.add_stream(
                'libx264', rate=Fraction(self.fps).limit_denominator(1000))
            self._stream.width, self._stream.height = frame.shape[1::-1]
            self._stream.pix_fmt = 'yuv420p'
        video_frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(frame), format='rgb24')
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)
        if self.gif_path:
            from PIL import Image
            self._gif.append(Image.fromarray(frame))
        self.num_frames += 1

    def close(self) -> None:
        if self._container is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
            self._container = None
        if self.gif_path and self._gif:
            self._gif[0].save(self.gif_path, save_all=True,
                              append_images=self._gif[1:], loop=0,
                              duration=int(1000 / self.fps))
            self._gif = []


def write_h264(path: str, frames: Sequence[np.ndarray],
               fps: float = 10) -> str:
    """Write RGB frames as an H.264 mp4 (PyAV), the format browsers play."""
    writer = OverlayVideoWriter(path, fps)
    for frame in frames:
        writer.write(frame)
    writer.close()
    return path
