"""Actor-target J&F of InterRVOS (Table 5) plus the caption-type breakdown
(Table 4), and the official ``results.json`` writer."""
import json
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from rvos_plugin.evaluation.functional.davis import jf_per_frame
from rvos_plugin.evaluation.functional.interrvos_official import (ACTOR_KEY,
                                                                  TARGET_KEY)
from rvos_plugin.evaluation.functional.rle import encode_rle
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


PROTOCOLS = ('official', 'pooled')


@METRICS.register_module()
class ReVIOsAActorTargetMetric(BaseMetric):
    """Referring / Actor-Target / Overall J, F, J&F (InterRVOS Table 5).

    Per (video, expression), per frame, DAVIS J and F
    (:func:`~rvos_plugin.evaluation.functional.davis.jf_per_frame`), all
    frames count, then the mean over frames gives one ``(J, F)`` *item*:

    * actor item of every expression: ``pred_mask`` vs ``gt_mask`` (the
      union of the top-level ``anno_id``);
    * target item of every actor-target expression (``has_target``:
      unidirectional with a non-empty ``subject/object.anno_id.object``):
      ``pred_target_mask`` vs ``gt_target_mask``. A model that writes no
      ``pred_target_mask`` is scored with an empty target, as the released
      inference writes zeros when no ``[SEG_TAR]`` is emitted (counted and
      logged).

    Groups, each the plain mean over its items (expression level):

    * ``protocol='official'`` (default; the authors' scripts, see
      :mod:`~rvos_plugin.evaluation.functional.interrvos_official` and
      ``docs/decisions/evaluation.md``): ``Overall`` = actor items of every
      expression, ``Actor-Target`` = actor items of the actor-target
      expressions (``eval_interrvos.py`` on ``new_meta_expressions.json``),
      ``Referring`` = actor items of the others, ``Target`` = target items
      (``eval_interrvos_target.py``).
    * ``protocol='pooled'`` (this project's earlier scoring, kept to compare
      with figures measured before): ``Actor-Target`` pools the actor *and*
      target items (2 per expression) and ``Overall`` = all actor items plus
      all target items.

    Both also report ``Actor-Target/actor_*`` and ``Actor-Target/target_*``
    and (Table 4) ``caption_type/<type>/*`` and
    ``expression_kind/<kind>/*`` over the actor items. Values in [0, 1];
    empty groups are omitted. The in-loop subset is ``has_target``; the
    official subset is the ``new_meta_expressions.json`` file: to score
    against the released split files exactly, set ``results_file`` and run
    ``tools/analysis_tools/eval_interrvos.py`` on it.

    Args:
        protocol (str): ``'official'`` or ``'pooled'``.
        results_file (str, optional): Also write the official
            ``results.json`` (``{video: {exp_id: {"prediction_masks_act":
            [RLE per frame], "prediction_masks_tar": [...], ...}}}``, what
            the authors' ``ref_vos_eval.py`` + ``merge_json.py`` produce)
            here (rank 0).
        format_only (bool): Only write ``results_file`` (splits without
            GT); returns no metric. Defaults to False.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): metric-name prefix.
    """
    default_prefix: Optional[str] = None

    def __init__(self, protocol: str = 'official',
                 results_file: Optional[str] = None,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if protocol not in PROTOCOLS:
            raise ValueError(f'protocol={protocol!r}: choose one of '
                             f'{PROTOCOLS} (docs/decisions/evaluation.md).')
        if format_only and not results_file:
            raise ValueError('format_only=True needs results_file (where '
                             'the official results.json is written).')
        self.protocol = protocol
        self.results_file = results_file
        self.format_only = format_only

    def _official_item(self, sample, name: str, pred, pred_t) -> dict:
        """One entry of the official results.json (masks as RLE)."""
        frames = list(_meta(sample, 'frame_names') or [])
        total = _meta(sample, 'num_video_frames')
        if total is not None and len(frames) != int(total):
            raise ValueError(
                f'sample {name}: {len(frames)} of {total} frames predicted; '
                'results.json needs every frame of the video '
                '(RVOSFrameSample(test_mode=True), no max_test_frames).')
        if pred_t is None:  # the released inference writes zeros
            pred_t = np.zeros_like(pred)
        return {
            'video_id': str(_meta(sample, 'video_id')),
            'exp_id': str(_meta(sample, 'exp_id')),
            'exp': _meta(sample, 'expression'),
            'frames': frames,
            ACTOR_KEY: [encode_rle(m) for m in pred],
            TARGET_KEY: [encode_rle(m) for m in pred_t],
        }

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            name = f'{_meta(sample, "video_id")}/{_meta(sample, "exp_id")}'
            keys = ('pred_mask',) if self.format_only else ('pred_mask',
                                                            'gt_mask')
            for key in keys:
                if not has_frame_masks(sample, key):
                    raise KeyError(
                        f'sample {name}: no {key!r} on every frame; the '
                        'model must write pred_mask and the test pipeline '
                        'must load GT masks (LoadRVOSMasks).')
            pred = stack_frame_masks(sample, 'pred_mask').cpu().numpy()
            pred_t = None
            if has_frame_masks(sample, 'pred_target_mask'):
                pred_t = stack_frame_masks(sample,
                                           'pred_target_mask').cpu().numpy()
            record = dict(
                name=name,
                caption_type=_meta(sample, 'caption_type'),
                expression_kind=_meta(sample, 'expression_kind'),
                has_target=bool(_meta(sample, 'has_target', False)),
                actor=None, target=None, target_predicted=pred_t is not None,
                official=None)
            if self.results_file:
                record['official'] = self._official_item(sample, name, pred,
                                                         pred_t)
            if self.format_only:
                self.results.append(record)
                continue
            gt = stack_frame_masks(sample, 'gt_mask').cpu().numpy()
            if pred.shape != gt.shape:
                raise ValueError(
                    f'sample {name}: pred_mask {pred.shape} vs gt_mask '
                    f'{gt.shape}; predictions must be at ori_shape.')
            j, f = jf_per_frame(pred, gt)
            record['actor'] = (float(j.mean()), float(f.mean()))
            if record['has_target']:
                if not has_frame_masks(sample, 'gt_target_mask'):
                    raise KeyError(f'sample {name}: has_target but no '
                                   'gt_target_mask on every frame.')
                gt_t = stack_frame_masks(sample,
                                         'gt_target_mask').cpu().numpy()
                jt, ft = jf_per_frame(
                    np.zeros_like(gt_t) if pred_t is None else pred_t, gt_t)
                record['target'] = (float(jt.mean()), float(ft.mean()))
            self.results.append(record)

    def _write_results_file(self, results: list) -> None:
        merged: Dict[str, dict] = {}
        for r in results:
            item = r['official']
            slot = merged.setdefault(item['video_id'], {})
            if item['exp_id'] in slot:
                raise ValueError(f'{r["name"]} was predicted twice; the '
                                 'official results.json has one entry per '
                                 '(video, expression).')
            slot[item['exp_id']] = item
        if is_main_process():
            folder = osp.dirname(osp.abspath(self.results_file))
            os.makedirs(folder, exist_ok=True)
            with open(self.results_file, 'w') as f:
                json.dump(merged, f)
            MMLogger.get_current_instance().info(
                f'official results.json: {len(results)} expressions written '
                f'to {self.results_file} (score it with tools/analysis_tools/'
                'eval_interrvos.py)')

    def compute_metrics(self, results: list) -> Dict[str, float]:
        if self.results_file:
            self._write_results_file(results)
        if self.format_only:
            return {}
        groups = defaultdict(list)
        for r in results:
            groups['Overall'].append(r['actor'])
            if r['has_target']:
                groups['Actor-Target/actor'].append(r['actor'])
                groups['Actor-Target/target'].append(r['target'])
                if self.protocol == 'official':
                    groups['Actor-Target'].append(r['actor'])
                    groups['Target'].append(r['target'])
                else:
                    groups['Actor-Target'] += [r['actor'], r['target']]
                    groups['Overall'].append(r['target'])
            else:
                groups['Referring'].append(r['actor'])
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
        logger = MMLogger.get_current_instance()
        unpredicted = sum(r['has_target'] and not r['target_predicted']
                          for r in results)
        if unpredicted:
            logger.warning(
                f'{unpredicted} actor-target expression(s) have no '
                'pred_target_mask: their target is scored as an empty mask '
                '(what the released inference writes without [SEG_TAR]).')
        logger.info(
            f'ReVIOsA J&F ({self.protocol} protocol): ' + ', '.join(
                f'{g} {metrics[g + "/J&F"]:.4f}'
                for g in ('Referring', 'Actor-Target', 'Overall', 'Target')
                if g + '/J&F' in metrics))
        return metrics
