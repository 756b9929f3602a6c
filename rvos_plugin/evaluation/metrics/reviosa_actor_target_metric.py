"""Actor-target J&F of InterRVOS (Table 5) plus the caption-type breakdown
(Table 4)."""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from rvos_plugin.evaluation.functional.davis import jf_per_frame
from rvos_plugin.registry import METRICS
from rvos_plugin.structures.rvos_sample import (has_frame_masks,
                                                stack_frame_masks)


def _meta(sample, key: str, default=None):
    if isinstance(sample, dict):
        return sample.get(key, default)
    return sample.metainfo.get(key, default)


def mean_jf(items: List[tuple]) -> Dict[str, float]:
    """Expression-level means of ``(J, F)`` items: ``{J, F, J&F}``.

    ``J`` and ``F`` are the plain means over the items (each item already
    averaged over its frames); ``J&F = (J + F) / 2``.
    """
    j = float(np.mean([it[0] for it in items]))
    f = float(np.mean([it[1] for it in items]))
    return {'J': j, 'F': f, 'J&F': (j + f) / 2}


@METRICS.register_module()
class ReVIOsAActorTargetMetric(BaseMetric):
    """Referring / Actor-Target / Overall J, F, J&F (InterRVOS Table 5).

    Scoring (the official actor-target scripts, ``METRICS.md``): per
    (video, expression), per frame, DAVIS J and F
    (:func:`~rvos_plugin.evaluation.functional.davis.jf_per_frame`), all
    frames count, then the mean over frames gives one ``(J, F)`` *item*:

    * actor item of every expression: ``pred_mask`` vs ``gt_mask`` (the
      union of the top-level ``anno_id``);
    * target item of every actor-target expression (``has_target``:
      unidirectional with a non-empty ``subject/object.anno_id.object``):
      ``pred_target_mask`` vs ``gt_target_mask``. A model that writes no
      ``pred_target_mask`` is scored with an empty target prediction.

    Groups, each the plain mean over its items (expression level):

    * ``Referring``: actor items of the expressions without an actor-target
      pair;
    * ``Actor-Target``: actor *and* target items of the actor-target
      expressions (2 items per expression);
    * ``Overall``: every scored (role, expression) item, i.e. all actor
      items plus all target items.

    Also reported: ``Actor-Target/actor_*`` and ``Actor-Target/target_*``,
    and (Table 4) ``caption_type/<type>/*`` and ``expression_kind/<kind>/*``
    over the actor items. Values in [0, 1]; empty groups are omitted.

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): metric-name prefix.
    """
    default_prefix: Optional[str] = None

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            name = f'{_meta(sample, "video_id")}/{_meta(sample, "exp_id")}'
            for key in ('pred_mask', 'gt_mask'):
                if not has_frame_masks(sample, key):
                    raise KeyError(
                        f'sample {name}: no {key!r} on every frame; the '
                        'model must write pred_mask and the test pipeline '
                        'must load GT masks (LoadRVOSMasks).')
            pred = stack_frame_masks(sample, 'pred_mask').cpu().numpy()
            gt = stack_frame_masks(sample, 'gt_mask').cpu().numpy()
            if pred.shape != gt.shape:
                raise ValueError(
                    f'sample {name}: pred_mask {pred.shape} vs gt_mask '
                    f'{gt.shape}; predictions must be at ori_shape.')
            j, f = jf_per_frame(pred, gt)
            record = dict(
                name=name,
                caption_type=_meta(sample, 'caption_type'),
                expression_kind=_meta(sample, 'expression_kind'),
                has_target=bool(_meta(sample, 'has_target', False)),
                actor=(float(j.mean()), float(f.mean())),
                target=None)
            if record['has_target']:
                if not has_frame_masks(sample, 'gt_target_mask'):
                    raise KeyError(f'sample {name}: has_target but no '
                                   'gt_target_mask on every frame.')
                gt_t = stack_frame_masks(sample,
                                         'gt_target_mask').cpu().numpy()
                if has_frame_masks(sample, 'pred_target_mask'):
                    pred_t = stack_frame_masks(
                        sample, 'pred_target_mask').cpu().numpy()
                else:
                    pred_t = np.zeros_like(gt_t)
                jt, ft = jf_per_frame(pred_t, gt_t)
                record['target'] = (float(jt.mean()), float(ft.mean()))
            self.results.append(record)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        groups = defaultdict(list)
        for r in results:
            if r['has_target']:
                groups['Actor-Target'] += [r['actor'], r['target']]
                groups['Actor-Target/actor'].append(r['actor'])
                groups['Actor-Target/target'].append(r['target'])
                groups['Overall'] += [r['actor'], r['target']]
            else:
                groups['Referring'].append(r['actor'])
                groups['Overall'].append(r['actor'])
            if r['caption_type'] is not None:
                groups[f'caption_type/{r["caption_type"]}'].append(r['actor'])
            if r['expression_kind'] is not None:
                groups[f'expression_kind/{r["expression_kind"]}'].append(
                    r['actor'])
        metrics = {}
        for group, items in sorted(groups.items()):
            for key, value in mean_jf(items).items():
                if group.startswith('Actor-Target/'):
                    role = group.split('/')[1]
                    metrics[f'Actor-Target/{role}_{key}'] = value
                else:
                    metrics[f'{group}/{key}'] = value
        metrics['num_expressions'] = float(len(results))
        metrics['num_actor_target'] = float(
            sum(r['has_target'] for r in results))
        MMLogger.get_current_instance().info(
            'ReVIOsA J&F: ' + ', '.join(
                f'{g} {metrics[g + "/J&F"]:.4f}'
                for g in ('Referring', 'Actor-Target', 'Overall')
                if g + '/J&F' in metrics))
        return metrics
