"""Exact, fast DAVIS region similarity J and boundary F-measure.

Computes exactly what the official ``davis2017-evaluation`` per-frame code
computes (see ``../shared/notes/METRICS.md``; the literal oracle is
:mod:`rvos_plugin.evaluation.functional.davis_reference`), but faster:

* Everything is evaluated inside the bounding box of ``gt | pred`` grown by
  one pixel (clamped to the frame). Both masks are zero outside it, so every
  boundary pixel lies inside, the one-pixel margin makes the crop's
  replicated last row/column equal to the real (empty) neighbours, and the
  dilation of a boundary restricted to the crop equals the full-frame
  dilation restricted to the crop. All counts are therefore identical; the
  radius still comes from the **full** frame.
* The disk kernels are precomputed; masks are bool/uint8; the dilation is
  ``cv2.dilate`` by the disk, or on large crops by the equivalent union of
  rectangles (separable in OpenCV); nothing is dilated when F is already
  decided (an empty boundary).

Definitions (Perazzi et al., "A Benchmark Dataset and Evaluation Methodology
for Video Object Segmentation", CVPR 2016, Sec. 3.1):

* J = |G ∩ P| / |G ∪ P| over non-void pixels, 1 when the union is empty.
* F = 2 P_c R_c / (P_c + R_c) with the contour precision P_c and recall R_c
  of the boundary maps matched within ``ceil(bound_th * diag)`` pixels.
"""
import math
from functools import lru_cache
from typing import Optional, Tuple, Union

import cv2
import numpy as np

ArrayLike = Union[np.ndarray, 'torch.Tensor']  # noqa: F821

#: Boundary tolerance as a fraction of the frame diagonal (DAVIS, Sec. 3.1;
#: ``bound_th=0.008`` in davis2017-evaluation).
DEFAULT_BOUND_TH = 0.008


def to_bool_masks(masks: ArrayLike, name: str = 'mask') -> np.ndarray:
    """Binarize masks: any non-zero value is foreground.

    Args:
        masks (np.ndarray | torch.Tensor): Masks of any numeric or bool dtype,
            shape (H, W) or (T, H, W). Probabilities must be thresholded by
            the caller; here every non-zero value counts.
        name (str): Name used in error messages.

    Returns:
        np.ndarray: bool array of the same shape (no copy for bool numpy).
    """
    if hasattr(masks, 'detach'):  # torch.Tensor: binarize on its device
        masks = masks.detach()
        if str(masks.dtype) != 'torch.bool':
            masks = masks != 0  # also handles bf16, which numpy lacks
        return masks.to('cpu').numpy()
    masks = np.asarray(masks)
    if masks.dtype == bool:
        return masks
    if not (np.issubdtype(masks.dtype, np.number)):
        raise TypeError(f'{name} must be numeric or bool, got dtype '
                        f'{masks.dtype}.')
    return masks != 0


def boundary_radius(shape: Tuple[int, int],
                    bound_th: float = DEFAULT_BOUND_TH) -> int:
    """Matching radius of the boundary F-measure (METRICS.md, F step 3).

    ``r = ceil(bound_th * sqrt(H^2 + W^2))`` from the **full** frame
    (480x854 -> 8, 240x320 -> 4); ``bound_th >= 1`` is a radius in pixels.

    Args:
        shape (tuple[int, int]): Frame size (H, W).
        bound_th (float): Fraction of the diagonal (< 1) or pixels (>= 1).

    Returns:
        int: Radius in pixels.
    """
    if bound_th >= 1:
        if float(bound_th) != int(bound_th):
            raise ValueError(
                f'bound_th={bound_th} >= 1 is a radius in pixels and must be '
                'an integer (the official code builds an off-centre kernel '
                'otherwise); pass e.g. 8, or a fraction of the diagonal < 1.')
        return int(bound_th)
    return int(math.ceil(bound_th * np.linalg.norm(shape)))


@lru_cache(maxsize=64)
def disk_kernel(radius: int) -> np.ndarray:
    """Inclusive disk structuring element, cached per radius.

    Args:
        radius (int): Radius r.

    Returns:
        np.ndarray: read-only uint8 kernel (2r+1, 2r+1), 1 where
        ``dy^2 + dx^2 <= r^2`` (``skimage.morphology.disk``).
    """
    coords = np.arange(-radius, radius + 1)
    kernel = (coords[:, None]**2 + coords[None, :]**2 <= radius**2)
    kernel = kernel.astype(np.uint8)
    kernel.setflags(write=False)
    return kernel


@lru_cache(maxsize=64)
def disk_rectangles(radius: int) -> tuple:
    """The inclusive disk as a union of centred rectangles.

    Row ``dy`` of the disk spans ``|dx| <= isqrt(r^2 - dy^2)``; the disk is
    the union of the rectangles ``|dy| <= a, |dx| <= isqrt(r^2 - a^2)`` over
    the rows ``a`` where that half-width shrinks next (6 for r = 8). A
    dilation distributes over a union of kernels, and OpenCV dilates by a
    rectangle separably, so this is exact and cheaper on large crops.

    Args:
        radius (int): Radius r.

    Returns:
        tuple[np.ndarray]: uint8 rectangular kernels (2a+1, 2w+1).
    """
    half = [math.isqrt(radius * radius - dy * dy) for dy in range(radius + 1)]
    kernels = []
    for dy in range(radius + 1):
        if dy == radius or half[dy + 1] < half[dy]:
            kernels.append(np.ones((2 * dy + 1, 2 * half[dy] + 1), np.uint8))
    return tuple(kernels)


#: Crops larger than this (pixels) dilate by the rectangle union.
RECT_UNION_MIN_AREA = 40000


def dilate_disk(image: np.ndarray, radius: int) -> np.ndarray:
    """Dilate a uint8 0/1 image by the inclusive disk of ``radius``.

    Pixels beyond the image do not contribute (OpenCV's default dilation
    border). Small images use the disk kernel directly, large ones the
    equivalent union of rectangles (:func:`disk_rectangles`).

    Args:
        image (np.ndarray): uint8 image (H, W) of 0/1.
        radius (int): Disk radius r.

    Returns:
        np.ndarray: uint8 dilated image (H, W).
    """
    if image.size < RECT_UNION_MIN_AREA:
        return cv2.dilate(image, disk_kernel(radius))
    kernels = disk_rectangles(radius)
    out = cv2.dilate(image, kernels[0])
    for kernel in kernels[1:]:
        cv2.bitwise_or(out, cv2.dilate(image, kernel), dst=out)
    return out


def seg2bmap(seg: np.ndarray) -> np.ndarray:
    """Boundary map of a mask (METRICS.md, F step 2).

    A pixel is a boundary pixel when it differs from its east, south or
    south-east neighbour, the image being extended by replicating its last
    row and column: the image border is never a boundary, a single pixel at
    (y, x) gives the 2x2 boundary {(y-1, x-1), (y-1, x), (y, x-1), (y, x)}.

    Args:
        seg (np.ndarray): Mask (H, W); any non-zero value is foreground.

    Returns:
        np.ndarray: bool boundary map (H, W).
    """
    seg = to_bool_masks(seg, 'seg')
    if seg.ndim != 2:
        raise ValueError(f'seg2bmap expects one (H, W) mask, got shape '
                         f'{seg.shape}.')
    bmap = np.zeros_like(seg)
    bmap[:, :-1] |= seg[:, :-1] != seg[:, 1:]
    bmap[:-1, :] |= seg[:-1, :] != seg[1:, :]
    bmap[:-1, :-1] |= seg[:-1, :-1] != seg[1:, 1:]
    return bmap


def region_similarity(intersection: int, union: int) -> float:
    """Region similarity J (DAVIS, Perazzi et al. 2016, Sec. 3.1).

    ``J = |G ∩ P| / |G ∪ P|``, and ``J = 1`` when the union is empty.

    Args:
        intersection (int): Non-void pixels in both masks.
        union (int): Non-void pixels in either mask.

    Returns:
        float: J in [0, 1].
    """
    if union == 0:
        return 1.0
    return intersection / union


def boundary_f_measure(n_pred: int, n_gt: int, pred_matched: int,
                       gt_matched: int) -> float:
    """Boundary F-measure (DAVIS, Perazzi et al. 2016, Sec. 3.1).

    ``P = pred_matched / n_pred``, ``R = gt_matched / n_gt``,
    ``F = 2PR / (P + R)`` (0 when ``P + R = 0``); neither mask has a
    boundary -> ``F = 1``; only one has -> ``F = 0`` (METRICS.md, F step 4).

    Args:
        n_pred (int): Boundary pixels of the prediction.
        n_gt (int): Boundary pixels of the ground truth.
        pred_matched (int): Prediction boundary pixels with a GT boundary
            pixel within the radius.
        gt_matched (int): GT boundary pixels with a prediction boundary
            pixel within the radius.

    Returns:
        float: F in [0, 1].
    """
    if n_pred == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_pred > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_pred == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        precision = pred_matched / float(n_pred)
        recall = gt_matched / float(n_gt)
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def _crop_box(mask: np.ndarray, margin: int = 1):
    """Bounding box of a non-empty bool mask grown by ``margin`` (clamped).

    Returns:
        tuple[slice, slice] | None: Row and column slices, None when empty.
    """
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
    if w == 0 or h == 0:
        return None
    height, width = mask.shape
    return (slice(max(y - margin, 0), min(y + h + margin, height)),
            slice(max(x - margin, 0), min(x + w + margin, width)))


def _frame_jf(gt: np.ndarray, pred: np.ndarray, void: Optional[np.ndarray],
              radius: int) -> Tuple[float, float]:
    """J and F of one frame of bool masks, on the grown bounding box."""
    box = _crop_box(gt | pred)
    if box is None:  # both empty: union empty (J=1), no boundary (F=1)
        return 1.0, 1.0
    gt, pred = gt[box], pred[box]
    if void is not None:
        valid = ~void[box]
        gt_v, pred_v = gt & valid, pred & valid
    else:
        gt_v, pred_v = gt, pred
    j = region_similarity(
        int(np.count_nonzero(gt_v & pred_v)),
        int(np.count_nonzero(gt_v | pred_v)))
    # F: void pixels are zeroed before the boundaries are taken.
    gt_b = seg2bmap(gt_v)
    pred_b = seg2bmap(pred_v)
    n_gt = int(np.count_nonzero(gt_b))
    n_pred = int(np.count_nonzero(pred_b))
    if n_gt == 0 or n_pred == 0:
        return j, boundary_f_measure(n_pred, n_gt, 0, 0)
    gt_dil = dilate_disk(gt_b.view(np.uint8), radius).view(bool)
    pred_dil = dilate_disk(pred_b.view(np.uint8), radius).view(bool)
    pred_matched = int(np.count_nonzero(pred_b & gt_dil))
    gt_matched = int(np.count_nonzero(gt_b & pred_dil))
    return j, boundary_f_measure(n_pred, n_gt, pred_matched, gt_matched)


def frame_jf(gt: np.ndarray, pred: np.ndarray, radius: int,
             void: Optional[np.ndarray] = None) -> Tuple[float, float]:
    """J and F of one frame of C-contiguous bool masks (no checks).

    The per-frame kernel of :func:`jf_per_frame`, for callers that stream
    frames (the evaluation CLIs decode one frame of every object at a time
    instead of holding (T, H, W) stacks of 500-frame videos) and have
    already binarised and size-checked the masks.

    Args:
        gt (np.ndarray): bool GT mask (H, W).
        pred (np.ndarray): bool prediction (H, W), same shape.
        radius (int): Boundary radius, :func:`boundary_radius` of the
            **full** frame size.
        void (np.ndarray, optional): bool void mask (H, W).

    Returns:
        tuple[float, float]: J and F of the frame.
    """
    return _frame_jf(gt, pred, void, radius)


def _prepare(gt: ArrayLike, pred: ArrayLike, void: Optional[ArrayLike]):
    """Binarize, check shapes and add a time axis: (T, H, W) bool arrays."""
    gt = to_bool_masks(gt, 'gt')
    pred = to_bool_masks(pred, 'pred')
    if gt.shape != pred.shape:
        raise ValueError(f'gt and pred must have the same shape, got gt '
                         f'{gt.shape} and pred {pred.shape}: resize the '
                         'prediction to the original frame size.')
    if gt.ndim not in (2, 3):
        raise ValueError(f'masks must be (H, W) or (T, H, W), got '
                         f'{gt.shape}.')
    if void is not None:
        void = to_bool_masks(void, 'void')
        if void.shape != gt.shape:
            raise ValueError(f'void must have the mask shape {gt.shape}, '
                             f'got {void.shape}.')
    single = gt.ndim == 2
    if single:
        gt, pred = gt[None], pred[None]
        void = None if void is None else void[None]
    return gt, pred, void, single


def jf_per_frame(pred: ArrayLike,
                 gt: ArrayLike,
                 void: Optional[ArrayLike] = None,
                 bound_th: float = DEFAULT_BOUND_TH
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Per-frame J and F of a video (the fast path used everywhere).

    Args:
        pred (np.ndarray | torch.Tensor): Predictions (T, H, W) or (H, W),
            any non-zero value is foreground.
        gt (np.ndarray | torch.Tensor): Ground truth, same shape.
        void (np.ndarray | torch.Tensor, optional): Void pixels (ignored),
            same shape.
        bound_th (float): Boundary tolerance (fraction of the diagonal when
            < 1, pixels otherwise).

    Returns:
        tuple[np.ndarray, np.ndarray]: float64 J (T,) and F (T,) in [0, 1]
        (T = 1 for a single (H, W) frame).
    """
    gt, pred, void, _ = _prepare(gt, pred, void)
    radius = boundary_radius(gt.shape[-2:], bound_th)
    num_frames = gt.shape[0]
    j_values = np.empty(num_frames, dtype=np.float64)
    f_values = np.empty(num_frames, dtype=np.float64)
    for t in range(num_frames):
        j_values[t], f_values[t] = _frame_jf(
            gt[t], pred[t], None if void is None else void[t], radius)
    return j_values, f_values


def db_eval_iou(gt: ArrayLike,
                pred: ArrayLike,
                void: Optional[ArrayLike] = None
                ) -> Union[float, np.ndarray]:
    """Region similarity J, as the official ``db_eval_iou``.

    Args:
        gt (np.ndarray | torch.Tensor): GT masks (H, W) or (T, H, W).
        pred (np.ndarray | torch.Tensor): Predictions, same shape.
        void (np.ndarray | torch.Tensor, optional): Void pixels.

    Returns:
        float | np.ndarray: J for one frame, or (T,) per frame.
    """
    gt, pred, void, single = _prepare(gt, pred, void)
    values = np.empty(gt.shape[0], dtype=np.float64)
    for t in range(gt.shape[0]):
        g, p = gt[t], pred[t]
        if void is not None:
            valid = ~void[t]
            g, p = g & valid, p & valid
        values[t] = region_similarity(
            int(np.count_nonzero(g & p)), int(np.count_nonzero(g | p)))
    return float(values[0]) if single else values


def db_eval_boundary(gt: ArrayLike,
                     pred: ArrayLike,
                     void: Optional[ArrayLike] = None,
                     bound_th: float = DEFAULT_BOUND_TH
                     ) -> Union[float, np.ndarray]:
    """Boundary F-measure, as the official ``db_eval_boundary``.

    Args:
        gt (np.ndarray | torch.Tensor): GT masks (H, W) or (T, H, W).
        pred (np.ndarray | torch.Tensor): Predictions, same shape.
        void (np.ndarray | torch.Tensor, optional): Void pixels.
        bound_th (float): Boundary tolerance (fraction of the diagonal when
            < 1, pixels otherwise).

    Returns:
        float | np.ndarray: F for one frame, or (T,) per frame.
    """
    single = len(gt.shape) == 2
    _, f_values = jf_per_frame(pred, gt, void, bound_th)
    return float(f_values[0]) if single else f_values
