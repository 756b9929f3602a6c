"""Loading frames (JPEG folders or mp4 through decord) and RLE masks."""
import os.path as osp
from typing import List, Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from rvos_plugin.registry import TRANSFORMS


class RVOSDataError(RuntimeError):
    """Unreadable or inconsistent data; the message names file and fix."""


# OpenCV >= 4.10 decodes straight to RGB (same pixels as BGR + cvtColor,
# one pass less); older versions fall back to the conversion.
_IMREAD_RGB = getattr(cv2, 'IMREAD_COLOR_RGB', None)


def check_image_complete(path: str, data: np.ndarray) -> None:
    """Refuse a truncated JPEG/PNG (decoders grey-fill it and only print).

    A JPEG ends with the EOI marker ``FF D9`` (trailing padding allowed), a
    PNG with its ``IEND`` chunk; a file cut short (interrupted copy or
    extraction) has neither.

    Raises:
        RVOSDataError: Naming ``path``.
    """
    head = data[:8].tobytes()
    tail = data[-4096:].tobytes()
    if head[:2] == b'\xff\xd8':
        complete = b'\xff\xd9' in tail
    elif head == b'\x89PNG\r\n\x1a\n':
        complete = b'IEND' in tail
    else:
        return
    if not complete:
        raise RVOSDataError(
            f'Truncated image {path!r} ({data.size} bytes, no end-of-image '
            'marker): the decoder would fill the missing part with grey. '
            'Re-extract it from the dataset archive.')


def read_frame(path: str) -> np.ndarray:
    """Read one frame as an RGB uint8 array (H, W, 3).

    Raises:
        RVOSDataError: The file is missing, truncated or not a decodable
            image.
    """
    if not osp.isfile(path):
        raise RVOSDataError(
            f'Missing frame {path!r}. The expressions file lists this frame; '
            'restore it from the dataset archive or remove it from "frames".')
    data = np.fromfile(path, dtype=np.uint8)
    check_image_complete(path, data)
    img = cv2.imdecode(data, _IMREAD_RGB or cv2.IMREAD_COLOR) \
        if data.size else None
    if img is None:
        raise RVOSDataError(
            f'Corrupt or unreadable frame {path!r}; re-extract it from the '
            'dataset archive.')
    return img if _IMREAD_RGB else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_video_frames(path: str, frame_inds: List[int],
                      expected_frames: Optional[int] = None) -> List[np.ndarray]:
    """Decode the given frames of an mp4 with decord (RGB uint8).

    Raises:
        RVOSDataError: Missing/corrupt video, or a frame count that differs
            from the expressions file.
    """
    if not osp.isfile(path):
        raise RVOSDataError(
            f'Missing video {path!r}; set `video_dir=None` in the dataset '
            'config to read JPEG frames instead, or restore the file.')
    import decord
    try:
        reader = decord.VideoReader(path, num_threads=1)
        num = len(reader)
    except Exception as e:  # decord raises DECORDError and RuntimeError
        raise RVOSDataError(
            f'Corrupt or undecodable video {path!r} ({e}); re-encode it or '
            'read JPEG frames instead (`video_dir=None`).') from e
    if expected_frames is not None and num != expected_frames:
        raise RVOSDataError(
            f'Video {path!r} has {num} frames but the expressions file lists '
            f'{expected_frames}; re-export the video from its frames.')
    bad = [i for i in frame_inds if not 0 <= i < num]
    if bad:
        raise RVOSDataError(
            f'Video {path!r} has {num} frames; requested frames {bad}.')
    try:
        batch = reader.get_batch(list(frame_inds)).asnumpy()
    except Exception as e:
        raise RVOSDataError(
            f'Could not decode frames {list(frame_inds)} of {path!r} ({e}); '
            'the file is corrupt: re-encode it.') from e
    return [np.ascontiguousarray(f) for f in batch]


@TRANSFORMS.register_module()
class LoadRVOSFrames(BaseTransform):
    """Load the sampled frames of a video.

    Required Keys:

    - frame_inds
    - frame_names
    - frame_dir
    - frame_ext
    - video_path (optional)

    Added Keys:

    - imgs (list[np.ndarray]): RGB uint8 frames (H, W, 3)
    - ori_shape (tuple): (H, W)
    - img_shape (tuple): (H, W)
    - scale_factor (tuple): (1.0, 1.0)
    - flip (bool): False

    Args:
        backend (str): ``'auto'`` (decord when ``video_path`` is set and
            exists, else JPEG frames), ``'frames'`` or ``'decord'``.
    """

    def __init__(self, backend: str = 'auto'):
        if backend not in ('auto', 'frames', 'decord'):
            raise ValueError(f'unknown backend {backend!r}')
        self.backend = backend

    def transform(self, results: dict) -> dict:
        inds = results['frame_inds']
        video_path = results.get('video_path')
        use_decord = self.backend == 'decord' or (
            self.backend == 'auto' and video_path is not None
            and osp.isfile(video_path))
        if use_decord:
            if video_path is None:
                raise RVOSDataError(
                    f'backend="decord" but sample {results.get("video_id")!r}'
                    ' has no video_path; set `video_dir` in the dataset.')
            imgs = read_video_frames(video_path, inds,
                                     len(results['frame_names']))
        else:
            names = results['frame_names']
            imgs = [
                read_frame(
                    osp.join(results['frame_dir'],
                             names[i] + results['frame_ext'])) for i in inds
            ]
        shape = imgs[0].shape[:2]
        for i, img in zip(inds, imgs):
            if img.shape[:2] != shape:
                raise RVOSDataError(
                    f'Frame {results["frame_names"][i]!r} of video '
                    f'{results.get("video_id")!r} has size {img.shape[:2]}, '
                    f'other frames {shape}; all frames of a video must match.')
        results['imgs'] = imgs
        results['ori_shape'] = shape
        results['img_shape'] = shape
        results['scale_factor'] = (1.0, 1.0)
        results['flip'] = False
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend={self.backend!r})'


def decode_union(rles_per_anno: List[list], frame_index: int,
                 shape: Optional[tuple], source: str,
                 anno_ids: List[int]) -> np.ndarray:
    """Union of the RLE masks of several objects in one frame.

    Args:
        rles_per_anno (list[list]): For each anno id, its per-frame RLEs.
        frame_index (int): Frame to decode.
        shape (tuple, optional): Expected (H, W). When None, the first RLE's
            size is used (an all-absent frame then needs a shape).
        source (str): Mask file, for error messages.
        anno_ids (list[int]): The anno ids, for error messages.

    Returns:
        np.ndarray: (H, W) uint8 in {0, 1}.
    """
    from rvos_plugin.evaluation.functional.rle import decode_rle
    union = None if shape is None else np.zeros(shape, np.uint8)
    for anno_id, rles in zip(anno_ids, rles_per_anno):
        rle = rles[frame_index]
        if rle is None:
            continue
        try:
            decoded = decode_rle(
                rle, source=f'{source}: anno id {anno_id}, frame '
                f'{frame_index}',
                expected_hw=None if union is None else union.shape)
        except ValueError as e:
            raise RVOSDataError(str(e)) from e
        if union is None:
            union = np.zeros(decoded.shape, np.uint8)
        union |= decoded.view(np.uint8)
    if union is None:
        raise RVOSDataError(
            f'{source}: objects {anno_ids} are all absent in frame '
            f'{frame_index} and no frame size is known; load frames first.')
    return union


@TRANSFORMS.register_module()
class LoadRVOSMasks(BaseTransform):
    """Decode the referred (actor) and target masks of the sampled frames.

    The GT of an expression in a frame is the union of its objects' masks
    (MeViS protocol); ``None`` entries mean the object is absent.

    Required Keys:

    - frame_inds
    - mask_rles
    - anno_ids
    - target_anno_ids
    - ori_shape (optional; when present RLE sizes are checked against it)

    Added Keys:

    - gt_masks (np.ndarray): (T, H, W) uint8, union of ``anno_ids``
    - gt_target_masks (np.ndarray): (T, H, W) uint8, union of
      ``target_anno_ids`` (zeros when the expression has no target)
    """

    def transform(self, results: dict) -> dict:
        rles = results.get('mask_rles')
        if rles is None:
            raise RVOSDataError(
                f'Sample {results.get("video_id")!r}/{results.get("exp_id")!r}'
                ' has no masks (split without mask_dict); remove '
                'LoadRVOSMasks from this pipeline.')
        shape = results.get('ori_shape')
        source = results.get('mask_source') or '<mask dict>'
        inds = results['frame_inds']

        def union_of(ids):
            if not ids:
                ref = shape if shape is not None else None
                if ref is None:
                    raise RVOSDataError(
                        f'{source}: cannot build an empty target mask '
                        'before frames are loaded.')
                return np.zeros((len(inds), ) + tuple(ref), np.uint8)
            per_anno = [rles[a] for a in ids]
            return np.stack([
                decode_union(per_anno, i, shape, source, ids) for i in inds
            ])

        results['gt_masks'] = union_of(results['anno_ids'])
        if shape is None:
            shape = results['gt_masks'].shape[1:]
        results['gt_target_masks'] = union_of(results['target_anno_ids'])
        return results
