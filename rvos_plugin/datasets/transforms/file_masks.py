"""Masks stored per file: palette PNG (Ref-YTVOS/DAVIS), A2D h5, JHMDB .mat.

The data info carries ``mask_format`` and ``mask_files`` (one path or None
per video frame; None = the frame is not annotated). The output keys are the
ones of :class:`LoadRVOSMasks` (``gt_masks``, ``gt_target_masks``) plus
``gt_frame_valid`` and, for palette PNGs with void, ``gt_void_masks``.
"""
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from rvos_plugin.registry import TRANSFORMS
from .loading import RVOSDataError

MASK_FORMATS = ('palette_png', 'a2d_h5', 'jhmdb_mat')


def read_palette_png(path: str) -> np.ndarray:
    """Read an indexed (palette, mode 'P') PNG as its index map (H, W) uint8.

    Raises:
        RVOSDataError: missing file, unreadable file, or not a palette PNG.
    """
    from PIL import Image
    if not osp.isfile(path):
        raise RVOSDataError(
            f'Missing mask {path!r}; restore it from the dataset archive '
            '(Annotations/<video>/<frame>.png).')
    try:
        with Image.open(path) as img:
            if img.mode not in ('P', 'L'):
                raise RVOSDataError(
                    f'Mask {path!r} has mode {img.mode!r}; expected a palette '
                    "('P') PNG whose pixel values are object ids.")
            return np.array(img, dtype=np.uint8)
    except RVOSDataError:
        raise
    except Exception as e:
        raise RVOSDataError(f'Corrupt mask PNG {path!r} ({e}); re-extract '
                            'it from the dataset archive.') from e


def palette_object_masks(index_map: np.ndarray, obj_ids: Sequence[int],
                         known_ids: Optional[Sequence[int]], path: str,
                         void_value: Optional[int] = None):
    """Union mask of ``obj_ids`` in an index map, checking unexpected ids.

    Args:
        index_map (np.ndarray): (H, W) pixel value == object id, 0 = bg.
        obj_ids (Sequence[int]): Objects to take.
        known_ids (Sequence[int], optional): Ids allowed in this video;
            any other non-zero, non-void value raises.
        path (str): File name for the error message.
        void_value (int, optional): Value marking void pixels (DAVIS 255).

    Returns:
        tuple: union (H, W) uint8, void (H, W) uint8 or None.
    """
    if index_map.dtype != np.uint8:
        raise TypeError(f'{path!r}: index map must be uint8 (palette '
                        f'values), got {index_map.dtype}.')
    if known_ids is not None:
        allowed = _id_table([0] + [int(i) for i in known_ids] +
                            ([] if void_value is None else [void_value]))
        # fast path: one table look-up per pixel; ids listed only on error
        if cv2.countNonZero(cv2.LUT(index_map, allowed)) != index_map.size:
            present = set(np.flatnonzero(np.bincount(
                index_map.ravel(), minlength=256)).tolist()) - {0}
            if void_value is not None:
                present.discard(void_value)
            unexpected = sorted(present - {int(i) for i in known_ids})
            raise RVOSDataError(
                f'Mask {path!r} contains object id(s) {unexpected} that the '
                f'video does not declare (known ids {sorted(known_ids)}); fix '
                'meta.json or the PNG.')
    union = cv2.LUT(index_map, _id_table(obj_ids)) if len(obj_ids) else \
        np.zeros(index_map.shape, np.uint8)
    void = None if void_value is None else cv2.LUT(index_map,
                                                   _id_table([void_value]))
    return union, void


def _id_table(ids: Sequence[int]) -> np.ndarray:
    """(256,) uint8 look-up table: 1 at the palette values in ``ids``."""
    table = np.zeros(256, np.uint8)
    table[[int(i) for i in ids if 0 <= int(i) < 256]] = 1
    return table


def read_a2d_h5(path: str, instance_id: int) -> np.ndarray:
    """Mask (H, W) uint8 of one instance in an A2D annotation h5.

    ``reMask`` is stored transposed: (W, H) with one instance, else
    (N, W, H); ``instance`` lists the ids (the first occurrence wins when an
    id repeats, as in video EadxBPmQvtg frame 25).

    Raises:
        RVOSDataError: missing/truncated file, or instance not in the frame.
    """
    if not osp.isfile(path):
        raise RVOSDataError(
            f'Missing A2D annotation {path!r}; restore '
            'a2d_annotation_with_instances from the dataset archive.')
    import h5py
    try:
        with h5py.File(path, 'r') as f:
            instances = [int(i) for i in np.asarray(f['instance']).ravel()]
            masks = np.asarray(f['reMask'])
    except Exception as e:
        raise RVOSDataError(
            f'Truncated or corrupt A2D annotation {path!r} ({e}); '
            're-extract it from the dataset archive.') from e
    if instance_id not in instances:
        raise RVOSDataError(
            f'A2D annotation {path!r} has instances {instances}, not '
            f'{instance_id}.')
    if masks.ndim == 2:
        masks = masks[None]
    masks = np.ascontiguousarray(masks.transpose(0, 2, 1))
    return (masks[instances.index(instance_id)] > 0).astype(np.uint8)


def read_jhmdb_mat(path: str) -> np.ndarray:
    """All puppet masks (T, H, W) uint8 of a JHMDB ``puppet_mask.mat``.

    Raises:
        RVOSDataError: missing/corrupt file or no ``part_mask`` (H, W, T).
    """
    if not osp.isfile(path):
        raise RVOSDataError(
            f'Missing JHMDB puppet mask {path!r}; restore puppet_mask/ from '
            'the JHMDB archive.')
    import scipy.io
    try:
        part = scipy.io.loadmat(path)['part_mask']
    except Exception as e:
        raise RVOSDataError(
            f'Corrupt JHMDB puppet mask {path!r} ({e}); expected a .mat '
            'with part_mask (H, W, T).') from e
    if part.ndim == 2:
        part = part[:, :, None]
    if part.ndim != 3:
        raise RVOSDataError(
            f'{path!r}: part_mask has shape {part.shape}; expected (H, W, T).')
    return (np.ascontiguousarray(part.transpose(2, 0, 1)) > 0).astype(
        np.uint8)


@TRANSFORMS.register_module()
class LoadRVOSFileMasks(BaseTransform):
    """Load masks of the sampled frames from per-frame files.

    Drop-in replacement of :class:`LoadRVOSMasks` for the formats that do
    not ship RLE mask dicts.

    Required Keys:

    - frame_inds
    - mask_format (``palette_png``, ``a2d_h5`` or ``jhmdb_mat``)
    - mask_files (list[str | None], one per video frame)
    - anno_ids (object ids / instance ids)
    - target_anno_ids
    - known_obj_ids (palette_png, optional): ids the video may contain
    - ori_shape (optional; checked against the masks)

    Added Keys:

    - gt_masks (np.ndarray): (T, H, W) uint8 union of ``anno_ids``; zeros
      on frames without annotation
    - gt_target_masks (np.ndarray): (T, H, W) uint8
    - gt_frame_valid (list[bool]): whether each sampled frame is annotated
    - gt_void_masks (np.ndarray): (T, H, W) uint8, only with ``void_value``

    Args:
        void_value (int, optional): Palette value of void pixels (DAVIS:
            255); excluded from the unexpected-id check and returned as
            ``gt_void_masks``.
        skip_invalid (bool): On a bad mask, warn (with the running count)
            and return None, so a training dataset draws another sample,
            instead of raising.
    """

    def __init__(self, void_value: Optional[int] = None,
                 skip_invalid: bool = False):
        self.void_value = void_value
        self.skip_invalid = skip_invalid
        self.num_skipped = 0

    def _frame_masks(self, results: dict, frame_index: int,
                     cache: Dict[str, np.ndarray]):
        fmt = results['mask_format']
        path = results['mask_files'][frame_index]
        if fmt == 'palette_png':
            index_map = read_palette_png(path)
            actor, void = palette_object_masks(
                index_map, results['anno_ids'], results.get('known_obj_ids'),
                path, self.void_value)
            target, _ = palette_object_masks(index_map,
                                             results['target_anno_ids'], None,
                                             path)
            return actor, target, void
        if fmt == 'a2d_h5':
            masks = [read_a2d_h5(path, i) for i in results['anno_ids']]
            actor = np.bitwise_or.reduce(np.stack(masks))
            return actor, np.zeros_like(actor), None
        if fmt == 'jhmdb_mat':
            if path not in cache:
                cache[path] = read_jhmdb_mat(path)
            stack = cache[path]
            mat_index = results.get('mask_frame_offset', 0) + frame_index
            if mat_index >= stack.shape[0]:
                raise RVOSDataError(
                    f'{path!r} has {stack.shape[0]} masks; frame '
                    f'{frame_index} of video {results.get("video_id")!r} '
                    'has none. Regenerate the JHMDB sample list.')
            actor = stack[mat_index]
            return actor, np.zeros_like(actor), None
        raise RVOSDataError(
            f'Unknown mask_format {fmt!r} for sample '
            f'{results.get("video_id")!r}; expected one of {MASK_FORMATS}.')

    def _load(self, results: dict) -> dict:
        shape = results.get('ori_shape')
        files = results.get('mask_files')
        if files is None:
            raise RVOSDataError(
                f'Sample {results.get("video_id")!r}/'
                f'{results.get("exp_id")!r} has no mask files (split without '
                'annotations); remove LoadRVOSFileMasks from this pipeline.')
        cache: Dict[str, np.ndarray] = {}
        actors: List[Optional[np.ndarray]] = []
        targets, voids, valid = [], [], []
        for i in results['frame_inds']:
            if files[i] is None:
                actors.append(None)
                targets.append(None)
                voids.append(None)
                valid.append(False)
                continue
            actor, target, void = self._frame_masks(results, i, cache)
            if shape is not None and actor.shape != tuple(shape):
                raise RVOSDataError(
                    f'Mask {files[i]!r} has size {actor.shape}, the frames '
                    f'{tuple(shape)}; masks must be at the frames\' original '
                    'resolution.')
            shape = actor.shape
            actors.append(actor)
            targets.append(target)
            voids.append(void)
            valid.append(True)
        if shape is None:
            raise RVOSDataError(
                f'Sample {results.get("video_id")!r}: no sampled frame is '
                'annotated and the frame size is unknown; load frames first.')
        zeros = np.zeros(tuple(shape), np.uint8)
        results['gt_masks'] = np.stack(
            [zeros if m is None else m for m in actors])
        results['gt_target_masks'] = np.stack(
            [zeros if m is None else m for m in targets])
        if self.void_value is not None:
            results['gt_void_masks'] = np.stack(
                [zeros if m is None else m for m in voids])
        results['gt_frame_valid'] = valid
        return results

    def transform(self, results: dict) -> Optional[dict]:
        try:
            return self._load(results)
        except RVOSDataError as e:
            if not self.skip_invalid:
                raise
            self.num_skipped += 1
            warnings.warn(f'LoadRVOSFileMasks: skipped {self.num_skipped} '
                          f'sample(s) with invalid masks so far; this one: {e}')
            return None

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(void_value={self.void_value}, '
                f'skip_invalid={self.skip_invalid})')
