"""Ref-DAVIS17: DAVIS unsupervised protocol per annotator set, mean of 4."""
from collections import defaultdict
from typing import Dict, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from rvos_plugin.evaluation.functional.davis_unsupervised import \
    unsupervised_jf
from rvos_plugin.evaluation.functional.rle import decode_rle, encode_rle
from rvos_plugin.registry import METRICS
from rvos_plugin.structures import get_frames, stack_frame_masks


def _get(item, key: str, default=None):
    return item.get(key, default)


def _rles(masks) -> list:
    return [encode_rle(m) for m in np.asarray(masks)]


def _decode(rles, source: str = 'Ref-DAVIS17 prediction') -> np.ndarray:
    return np.stack([
        decode_rle(r, source=f'{source}, frame {i}').view(np.uint8)
        for i, r in enumerate(rles)
    ])


def merge_indexed(masks: np.ndarray) -> np.ndarray:
    """Make object masks disjoint as one indexed PNG per frame would.

    Where objects overlap, the first object (lowest index) wins, as the
    argmax over [background, objects] in ReferFormer's DAVIS inference.

    Args:
        masks (np.ndarray): (P, T, H, W) binary masks.

    Returns:
        np.ndarray: (P, T, H, W) disjoint binary masks.
    """
    taken = np.zeros(masks.shape[1:], bool)
    out = np.zeros_like(masks, dtype=bool)
    for p in range(masks.shape[0]):
        out[p] = (masks[p] > 0) & ~taken
        taken |= out[p]
    return out


@METRICS.register_module()
class RVOSRefDAVISMetric(BaseMetric):
    """J, F, J&F of Ref-DAVIS17 (ReferFormer protocol, METRICS.md).

    For each annotator set (``annotator`` = exp_id % 4) and video, the
    predicted object masks (one per expression, id = its ``obj_ids[0]``)
    are matched to the GT objects (those referred by the video's
    expressions, GT from ``gt_mask``; void from ``gt_void_mask`` when
    loaded) by Hungarian assignment on mean (J+F)/2 over all frames; J and
    F are averaged over frames, then over all GT objects of all videos.
    Reported: each set's ``annotator{k}/J``, ``/F``, ``/J&F`` and the mean
    over the sets as ``J``, ``F``, ``J&F``.

    Args:
        merge_overlaps (bool): Make predicted objects disjoint (lowest id
            wins) before scoring, as when written into one indexed PNG.
    """

    default_prefix = 'ref_davis'

    def __init__(self, merge_overlaps: bool = True,
                 collect_device: str = 'cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.merge_overlaps = merge_overlaps

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Store RLEs of prediction, GT and void of each expression."""
        for sample in data_samples:
            name = (f'video {_get(sample, "video_id")!r} expression '
                    f'{_get(sample, "exp_id")!r}')
            obj_ids = _get(sample, 'obj_ids')
            if not obj_ids:
                raise KeyError(f'{name}: needs obj_ids (Ref-DAVIS dataset).')
            try:
                pred = stack_frame_masks(sample, 'pred_mask').cpu().numpy()
                gt = stack_frame_masks(sample, 'gt_mask').cpu().numpy()
            except KeyError as e:
                raise KeyError(f'{name}: {e.args[0]} (load GT with '
                               'LoadRVOSFileMasks; the model writes '
                               'pred_mask).') from e
            if pred.shape != gt.shape:
                raise ValueError(f'{name}: pred {pred.shape} vs GT '
                                 f'{gt.shape}; predict at ori_shape.')
            frames = get_frames(sample)
            void = None
            if all(_get(f, 'gt_void_mask') is not None for f in frames):
                void = _rles(stack_frame_masks(sample,
                                               'gt_void_mask').cpu().numpy())
            exp_id = str(_get(sample, 'exp_id'))
            annotator = _get(sample, 'annotator')
            self.results.append(dict(
                video_id=str(_get(sample, 'video_id')), exp_id=exp_id,
                annotator=int(exp_id) % 4 if annotator is None
                else int(annotator),
                obj_id=int(obj_ids[0]), pred=_rles(pred), gt=_rles(gt),
                void=void))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        groups = defaultdict(lambda: defaultdict(list))
        for r in results:
            groups[r['annotator']][r['video_id']].append(r)
        metrics, per_set = {}, []
        for annotator in sorted(groups):
            j_objects, f_objects = [], []
            for video_id, records in sorted(groups[annotator].items()):
                j, f = self.score_video(records)
                j_objects.extend(j.mean(-1))
                f_objects.extend(f.mean(-1))
            j_mean, f_mean = float(np.mean(j_objects)), float(
                np.mean(f_objects))
            scores = {'J': j_mean, 'F': f_mean, 'J&F': (j_mean + f_mean) / 2}
            per_set.append(scores)
            for key, value in scores.items():
                metrics[f'annotator{annotator}/{key}'] = value
        for key in ('J', 'F', 'J&F'):
            metrics[key] = float(np.mean([s[key] for s in per_set]))
        return metrics

    def score_video(self, records: list):
        """Matched per-object J, F (G, T) of one video and annotator set."""
        records = sorted(records, key=lambda r: r['obj_id'])
        gt_by_id = {}
        for r in records:
            gt_by_id.setdefault(r['obj_id'], r['gt'])
        gt = np.stack([_decode(gt_by_id[k]) for k in sorted(gt_by_id)])
        pred = np.stack([_decode(r['pred']) for r in records])
        if self.merge_overlaps:
            pred = merge_indexed(pred)
        void = next((r['void'] for r in records if r['void'] is not None),
                    None)
        return unsupervised_jf(gt > 0, pred > 0,
                               None if void is None else _decode(void) > 0)
