"""A2D/JHMDB-Sentences IoU and mAP (MTTR/ReferFormer/SOC protocol).

See ``../shared/notes/METRICS.md``: IoU metrics use the top-scoring mask;
mAP runs pycocotools ``COCOeval(..., 'segm')`` with ``useCats = 0``.
"""
import contextlib
import copy
import io
from typing import Dict, List, Sequence, Tuple

import numpy as np

IOU_EPS = 1e-6  # MTTR: IoU = (I + 1e-6) / (U + 1e-6)
PRECISION_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def intersection_union(pred: np.ndarray, gt: np.ndarray) -> Tuple[int, int]:
    """Pixel counts |P∩G| and |P∪G| of two (H, W) masks (non-zero = fg)."""
    pred, gt = np.asarray(pred) > 0, np.asarray(gt) > 0
    if pred.shape != gt.shape:
        raise ValueError(f'prediction {pred.shape} and GT {gt.shape} differ '
                         'in size; resize predictions to the original size.')
    return int(np.count_nonzero(pred & gt)), int(np.count_nonzero(pred | gt))


def sample_iou(intersection: int, union: int, eps: float = IOU_EPS) -> float:
    """Per-sample IoU ``(I + eps) / (U + eps)`` (MTTR A2D evaluation).

    An empty prediction of an empty GT scores 1.
    """
    return (intersection + eps) / (union + eps)


def overall_iou(intersections: Sequence[int],
                unions: Sequence[int]) -> float:
    """Overall IoU ``ΣI / ΣU`` over all samples (not a mean of batches)."""
    total_union = float(np.sum(unions))
    return float(np.sum(intersections)) / total_union if total_union else 1.0


def precision_at(ious: Sequence[float],
                 thresholds: Sequence[float] = PRECISION_THRESHOLDS
                 ) -> Dict[float, float]:
    """``P@k`` = fraction of samples with IoU **strictly** above k."""
    ious = np.asarray(ious, np.float64)
    return {k: float(np.mean(ious > k)) if len(ious) else 0.0
            for k in thresholds}


def build_coco_gt(records: Sequence[dict]) -> Tuple[dict, Dict[str, int]]:
    """COCO instance-segmentation GT, one image and one object per sample.

    Args:
        records (Sequence[dict]): Each ``image_id`` (str, e.g.
            ``v_{vid}_f_{frame}_i_{inst}``) and ``gt_rle`` (COCO RLE).

    Returns:
        tuple: (COCO dataset dict with ids from 1, {image_id str: int id}).
    """
    from pycocotools import mask as mask_utils
    images, annotations, ids = [], [], {}
    for record in records:
        name = record['image_id']
        if name in ids:
            raise ValueError(f'duplicate COCO image id {name!r}')
        ids[name] = len(ids) + 1
        rle = record['gt_rle']
        h, w = rle['size']
        images.append(dict(id=ids[name], file_name=name, height=h, width=w))
        coded = dict(size=rle['size'], counts=rle['counts'].encode('ascii')
                     if isinstance(rle['counts'], str) else rle['counts'])
        annotations.append(dict(
            id=ids[name], image_id=ids[name], category_id=1,
            segmentation=rle, iscrowd=0,
            area=float(mask_utils.area(coded)),
            bbox=[float(v) for v in mask_utils.toBbox(coded)]))
    return dict(images=images, annotations=annotations,
                categories=[dict(id=1, name='object')]), ids


def coco_segm_map(gt_dataset: dict, predictions: List[dict]
                  ) -> Dict[str, float]:
    """mAP@0.5:0.95, AP50, AP75 with ``COCOeval(gt, dt, 'segm')``.

    Category-agnostic (``params.useCats = 0``); ``loadRes`` gets a deep
    copy because it mutates its input.

    Args:
        gt_dataset (dict): From :func:`build_coco_gt`.
        predictions (list[dict]): ``image_id`` (int), ``segmentation``
            (RLE), ``score``.

    Returns:
        dict: ``mAP``, ``AP50``, ``AP75`` in [0, 1].
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    if not predictions:
        return dict(mAP=0.0, AP50=0.0, AP75=0.0)
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt_dataset)
        coco_gt.createIndex()
        preds = copy.deepcopy(predictions)
        for p in preds:
            p.setdefault('category_id', 1)
        coco_dt = coco_gt.loadRes(preds)
        evaluator = COCOeval(coco_gt, coco_dt, 'segm')
        evaluator.params.useCats = 0
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = evaluator.stats
    return dict(mAP=float(stats[0]), AP50=float(stats[1]),
                AP75=float(stats[2]))
