"""Resize and flip applied consistently to every frame and mask of a clip."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from rvos_plugin.registry import TRANSFORMS
from rvos_plugin.utils.sample_rng import sample_np_rng
from .text import swap_left_right

_MASK_KEYS = ('gt_masks', 'gt_target_masks', 'gt_void_masks')


def target_size(shape: Tuple[int, int],
                scale: Optional[Tuple[int, int]] = None,
                short_side: Optional[int] = None,
                max_size: Optional[int] = None) -> Tuple[int, int]:
    """Output (h, w) of a resize.

    Args:
        shape (tuple): Input (H, W).
        scale (tuple, optional): Exact output (w, h) (mmcv order).
        short_side (int, optional): Resize the short side to this length,
            keeping the aspect ratio ...
        max_size (int, optional): ... unless the long side would exceed it.

    Returns:
        tuple: (h, w).
    """
    h, w = shape
    if scale is not None:
        return int(scale[1]), int(scale[0])
    if short_side is None:
        raise ValueError('give `scale` or `short_side`')
    ratio = short_side / min(h, w)
    if max_size is not None and max(h, w) * ratio > max_size:
        ratio = max_size / max(h, w)
    return max(1, int(round(h * ratio))), max(1, int(round(w * ratio)))


@TRANSFORMS.register_module()
class RVOSResize(BaseTransform):
    """Resize all frames (bilinear) and masks (nearest) of a clip.

    Required Keys:

    - imgs
    - img_shape
    - gt_masks, gt_target_masks, gt_void_masks (optional)

    Modified Keys:

    - imgs, gt_masks, gt_target_masks, gt_void_masks, img_shape

    Added Keys:

    - scale_factor (tuple): (w_scale, h_scale)

    Args:
        scale (tuple, optional): Exact output size (w, h).
        short_side (int, optional): Target short side (keeps aspect ratio).
        max_size (int, optional): Cap on the long side.
    """

    def __init__(self,
                 scale: Optional[Sequence[int]] = None,
                 short_side: Optional[int] = None,
                 max_size: Optional[int] = None):
        if scale is None and short_side is None:
            raise ValueError('RVOSResize needs `scale` or `short_side`')
        self.scale = tuple(scale) if scale is not None else None
        self.short_side = short_side
        self.max_size = max_size

    def transform(self, results: dict) -> dict:
        h, w = results['img_shape']
        new_h, new_w = target_size((h, w), self.scale, self.short_side,
                                   self.max_size)
        if (new_h, new_w) != (h, w):
            results['imgs'] = [
                cv2.resize(img, (new_w, new_h),
                           interpolation=cv2.INTER_LINEAR)
                for img in results['imgs']
            ]
            for key in _MASK_KEYS:
                if key in results:
                    results[key] = np.stack([
                        cv2.resize(m, (new_w, new_h),
                                   interpolation=cv2.INTER_NEAREST)
                        for m in results[key]
                    ]).astype(np.uint8)
        ori_h, ori_w = results.get('ori_shape', (h, w))
        results['img_shape'] = (new_h, new_w)
        results['scale_factor'] = (new_w / ori_w, new_h / ori_h)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'short_side={self.short_side}, max_size={self.max_size})')


@TRANSFORMS.register_module()
class RVOSRandomFlip(BaseTransform):
    """Horizontally flip a whole clip; swap left/right in the text.

    As in the official WSRVOS code, the words *left* and *right* are swapped
    in the expression (and in ``text_keys``, e.g. generated positives and
    negatives) so that the flipped clip still matches its description.

    Required Keys:

    - imgs
    - expression
    - gt_masks, gt_target_masks, gt_void_masks (optional)
    - sample_idx (optional: the flip is drawn per sample,
      ``rvos_plugin.utils.sample_rng``)

    Modified Keys:

    - imgs, gt_masks, gt_target_masks, gt_void_masks, expression, text_keys

    Added Keys:

    - flip (bool)

    Args:
        prob (float): Flip probability.
        swap_left_right (bool): Swap left/right words when flipping.
        text_keys (Sequence[str]): Further text keys (str or list of str) to
            swap.
    """

    def __init__(self,
                 prob: float = 0.5,
                 swap_left_right: bool = True,
                 text_keys: Sequence[str] = ('positive_texts',
                                             'negative_texts')):
        assert 0.0 <= prob <= 1.0
        self.prob = prob
        self.swap_left_right = swap_left_right
        self.text_keys = tuple(text_keys)

    def transform(self, results: dict) -> dict:
        # per-sample generator: the same flip on any rank split
        rng = sample_np_rng(results.get('sample_idx'), 'flip')
        flip = bool((np.random if rng is None else rng).rand() < self.prob)
        results['flip'] = flip
        if not flip:
            return results
        # cv2.flip == np.ascontiguousarray(x[:, ::-1]), several times faster
        results['imgs'] = [cv2.flip(img, 1) for img in results['imgs']]
        for key in _MASK_KEYS:
            if key in results:
                results[key] = np.stack(
                    [cv2.flip(m, 1) for m in results[key]])
        if self.swap_left_right:
            results['expression'] = swap_left_right(results['expression'])
            for key in self.text_keys:
                value = results.get(key)
                if isinstance(value, str):
                    results[key] = swap_left_right(value)
                elif isinstance(value, (list, tuple)):
                    results[key] = [swap_left_right(v) for v in value]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'swap_left_right={self.swap_left_right})')
