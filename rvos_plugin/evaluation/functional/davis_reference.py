"""Slow, literal reference of the official DAVIS J and F per-frame algorithm.

This module is the *oracle* of the tests and of ``benchmarks/bench_jf.py``;
nothing else in the package should call it. It follows the per-frame steps of
``davis2017-evaluation`` (``davis2017/metrics.py``: ``db_eval_iou``,
``f_measure``, ``_seg2bmap``) as described in
``../shared/notes/METRICS.md`` on the **full frame**, with no shortcut:

* J (region similarity): ``|G ∩ P| / |G ∪ P|`` over non-void pixels, 1 when
  the union is empty.
* F (boundary F-measure): void pixels zeroed, boundary maps (a pixel differs
  from its east, south or south-east neighbour, last row/column replicated),
  dilation of each boundary by the inclusive disk of radius
  ``ceil(bound_th * sqrt(H^2 + W^2))``, precision/recall, ``2PR/(P+R)``.

The fast implementation used everywhere is
:mod:`rvos_plugin.evaluation.functional.davis`.
"""
import math
from typing import Optional

import cv2
import numpy as np


def reference_disk(radius: float) -> np.ndarray:
    """Inclusive disk structuring element (``skimage.morphology.disk``).

    Args:
        radius (float): Radius ``r``; the kernel has a 1 wherever
            ``dy^2 + dx^2 <= r^2`` on the grid ``arange(-r, r + 1)``.

    Returns:
        np.ndarray: uint8 kernel of shape (K, K).
    """
    coords = np.arange(-radius, radius + 1)
    yy, xx = np.meshgrid(coords, coords, indexing='ij')
    return (yy**2 + xx**2 <= radius**2).astype(np.uint8)


def reference_seg2bmap(seg: np.ndarray) -> np.ndarray:
    """Boundary map of a mask, literally as the official ``_seg2bmap``.

    A pixel is a boundary pixel when it differs from its east, south or
    south-east neighbour. The east/south/south-east shifted copies are
    zero-filled, then the last row is recomputed from the east neighbour
    only, the last column from the south neighbour only, and the
    bottom-right pixel is set to 0 (equivalent to replicating the last
    row/column).

    Args:
        seg (np.ndarray): Mask (H, W); any non-zero value is foreground.

    Returns:
        np.ndarray: bool boundary map (H, W).
    """
    seg = seg.astype(bool)
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    bmap = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    bmap[-1, :] = seg[-1, :] ^ east[-1, :]
    bmap[:, -1] = seg[:, -1] ^ south[:, -1]
    bmap[-1, -1] = False
    return bmap


def reference_iou(gt: np.ndarray,
                  pred: np.ndarray,
                  void: Optional[np.ndarray] = None) -> float:
    """Region similarity J of one frame (official ``db_eval_iou``).

    Args:
        gt (np.ndarray): Ground-truth mask (H, W), non-zero = foreground.
        pred (np.ndarray): Predicted mask (H, W), non-zero = foreground.
        void (np.ndarray, optional): Void mask (H, W), non-zero = ignored.

    Returns:
        float: J in [0, 1]; 1 when the union is empty.
    """
    gt = gt.astype(bool)
    pred = pred.astype(bool)
    valid = (np.ones_like(gt) if void is None else
             np.logical_not(void.astype(bool)))
    inters = np.sum((pred & gt) & valid)
    union = np.sum((pred | gt) & valid)
    if np.isclose(union, 0):
        return 1.0
    return float(inters / union)


def reference_boundary(gt: np.ndarray,
                       pred: np.ndarray,
                       void: Optional[np.ndarray] = None,
                       bound_th: float = 0.008) -> float:
    """Boundary F-measure of one frame (official ``f_measure``).

    Args:
        gt (np.ndarray): Ground-truth mask (H, W), non-zero = foreground.
        pred (np.ndarray): Predicted mask (H, W), non-zero = foreground.
        void (np.ndarray, optional): Void mask (H, W), non-zero = ignored.
        bound_th (float): Tolerance; a fraction of the frame diagonal when
            < 1, a number of pixels otherwise.

    Returns:
        float: F in [0, 1].
    """
    valid = (np.ones(gt.shape, dtype=bool) if void is None else
             np.logical_not(void.astype(bool)))
    bound_pix = (bound_th if bound_th >= 1 else
                 math.ceil(bound_th * np.linalg.norm(pred.shape)))
    fg_boundary = reference_seg2bmap(pred.astype(bool) & valid)
    gt_boundary = reference_seg2bmap(gt.astype(bool) & valid)
    kernel = reference_disk(bound_pix)
    fg_dil = cv2.dilate(fg_boundary.astype(np.uint8), kernel)
    gt_dil = cv2.dilate(gt_boundary.astype(np.uint8), kernel)
    gt_match = gt_boundary * fg_dil
    fg_match = fg_boundary * gt_dil
    n_fg = np.sum(fg_boundary)
    n_gt = np.sum(gt_boundary)
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        precision = np.sum(fg_match) / float(n_fg)
        recall = np.sum(gt_match) / float(n_gt)
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))
