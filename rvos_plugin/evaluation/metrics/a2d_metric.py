"""A2D-/JHMDB-Sentences metrics: IoU, P@k and COCO mAP."""
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from rvos_plugin.evaluation.functional.referring_iou import (
    PRECISION_THRESHOLDS, build_coco_gt, coco_segm_map, intersection_union,
    overall_iou, precision_at, sample_iou)
from rvos_plugin.evaluation.functional.rle import encode_rle
from rvos_plugin.registry import METRICS
from rvos_plugin.structures import get_frames


def _get(item, key: str, default=None):
    return item.get(key, default)


def _data(field):
    data = field['data'] if isinstance(field, dict) else field.data
    return np.asarray(data.detach().cpu() if hasattr(data, 'detach')
                      else data)


@METRICS.register_module()
class RVOSA2DMetric(BaseMetric):
    """Overall/Mean IoU, P@0.5..0.9 and mAP of the annotated frame.

    Sample = (video, annotated frame, referred instance). The annotated
    frame is the sampled frame whose ``frame_id`` equals the sample's
    ``annotated_frame_ind``. IoU metrics use the top-scoring mask
    (``pred_mask``); mAP uses, with ``map_queries='all'``, every query mask
    with its score from the frame's ``pred_instances`` (``masks`` (N, H, W),
    ``scores`` (N,)), as MTTR (50 queries) and ReferFormer (5) report; with
    ``'top1'`` only ``pred_mask`` and its score (``pred_score``, default 1),
    which gives about 3 points less mAP.

    Args:
        map_queries (str): ``'all'`` or ``'top1'`` (see above).
        iou_thresholds (Sequence[float]): k of P@k (strict IoU > k).
    """

    default_prefix = 'a2d'

    def __init__(self, map_queries: str = 'all',
                 iou_thresholds: Sequence[float] = PRECISION_THRESHOLDS,
                 collect_device: str = 'cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if map_queries not in ('all', 'top1'):
            raise ValueError(f"map_queries must be 'all' or 'top1', got "
                             f'{map_queries!r}')
        self.map_queries = map_queries
        self.iou_thresholds = tuple(iou_thresholds)

    def _annotated_frame(self, sample, name: str):
        target = _get(sample, 'annotated_frame_ind')
        frames = get_frames(sample)
        if target is None or not frames:
            raise KeyError(f'{name}: needs annotated_frame_ind and '
                           'video_data_samples (A2D/JHMDB dataset + '
                           'RVOSCentredFrameSample).')
        for index, frame in enumerate(frames):
            if int(_get(frame, 'frame_id', -1)) == int(target):
                return frame
        raise ValueError(f'{name}: annotated frame {target} is not among the '
                         'sampled frames.')

    def _query_predictions(self, frame, top_mask: np.ndarray) -> List[tuple]:
        instances = _get(frame, 'pred_instances')
        if self.map_queries == 'all' and instances is not None:
            masks = _data(dict(data=_get(instances, 'masks')))
            scores = _data(dict(data=_get(instances, 'scores'))).reshape(-1)
            return [(encode_rle(m), float(s)) for m, s in zip(masks, scores)]
        score = _get(frame, 'pred_score', 1.0)
        return [(encode_rle(top_mask), float(score))]

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Store I, U, the GT RLE and the scored query RLEs of each sample."""
        for sample in data_samples:
            name = (f'video {_get(sample, "video_id")!r} sample '
                    f'{_get(sample, "exp_id")!r}')
            frame = self._annotated_frame(sample, name)
            if _get(frame, 'pred_mask') is None or \
                    _get(frame, 'gt_mask') is None:
                raise KeyError(f'{name}: the annotated frame needs pred_mask '
                               'and gt_mask.')
            pred = _data(_get(frame, 'pred_mask'))[0]
            gt = _data(_get(frame, 'gt_mask'))[0]
            inter, union = intersection_union(pred, gt)
            image_id = _get(sample, 'coco_image_id') or \
                f'{_get(sample, "video_id")}_{_get(sample, "exp_id")}'
            self.results.append(dict(
                image_id=image_id, I=inter, U=union, gt_rle=encode_rle(gt),
                preds=self._query_predictions(frame, pred)))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        ious = [sample_iou(r['I'], r['U']) for r in results]
        metrics = {
            'overall_iou': overall_iou([r['I'] for r in results],
                                       [r['U'] for r in results]),
            'mean_iou': float(np.mean(ious)) if ious else 0.0,
        }
        for k, value in precision_at(ious, self.iou_thresholds).items():
            metrics[f'P@{k:g}'] = value
        gt_dataset, ids = build_coco_gt(results)
        predictions = [
            dict(image_id=ids[r['image_id']], segmentation=rle, score=score)
            for r in results for rle, score in r['preds']
        ]
        metrics.update(coco_segm_map(gt_dataset, predictions))
        return metrics
