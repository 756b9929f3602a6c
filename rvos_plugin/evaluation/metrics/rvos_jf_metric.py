"""J&F metric for referring video object segmentation (data contract §6)."""
import os.path as osp
from collections import OrderedDict, defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from rvos_plugin.evaluation.functional.davis import (DEFAULT_BOUND_TH,
                                                     jf_per_frame,
                                                     to_bool_masks)
from rvos_plugin.evaluation.functional.mask_io import (write_mask_png,
                                                       zip_folder)
from rvos_plugin.registry import METRICS
from rvos_plugin.structures import stack_frame_masks


def _get(item, key: str, default=None):
    """Read ``key`` from a dict or a data element (metainfo or data)."""
    return item.get(key, default)


def _frames(sample) -> list:
    """Per-frame samples of a packed sample (dict or TrackDataSample).

    ``TrackDataSample.to_dict()`` keys them ``'_video_data_samples'`` when
    they were stored with ``set_field`` (as ``PackRVOSInputs`` does) and
    ``'video_data_samples'`` when set through the property.
    """
    if isinstance(sample, dict):
        frames = sample.get('video_data_samples')
        return sample.get('_video_data_samples') if frames is None else frames
    return sample.video_data_samples if len(sample) else None


@METRICS.register_module()
class RVOSJFMetric(BaseMetric):
    """Region similarity J, boundary F and J&F per (video, expression).

    ``process`` stacks each sample's per-frame prediction and GT masks
    (``PixelData`` of shape (1, H, W) in ``video_data_samples``), computes the
    exact DAVIS per-frame J and F
    (:func:`rvos_plugin.evaluation.functional.davis.jf_per_frame`) and keeps
    one small record per sample (frame ids, per-frame J/F and, with
    ``outfile_prefix``, the written PNG paths; never masks), so the DDP
    collection stays small. ``compute_metrics`` merges the records of a
    (video, expression) (a video may come in several clips), averages over
    its frames, then over expressions (MeViS protocol, METRICS.md):
    ``J``, ``F``, ``J&F = (J + F) / 2`` and, for each ``breakdown_keys``
    field, ``<field>/<value>/J``, ``.../F``, ``.../J&F``. Values in [0, 1].

    Args:
        pred_key (str): Per-frame prediction field. ``'pred_target_mask'``
            with ``gt_key='gt_target_mask'`` scores the InterRVOS target.
            Defaults to ``'pred_mask'``.
        gt_key (str): Per-frame GT field. Defaults to ``'gt_mask'``.
        skip_first_last (bool): Drop the first and last evaluated frame of
            each (video, expression), as DAVIS semi-supervised does.
            Defaults to False (MeViS/RVOS: all frames count).
        bound_th (float): Boundary tolerance of F (fraction of the frame
            diagonal; DAVIS Sec. 3.1). Defaults to 0.008.
        breakdown_keys (Sequence[str]): Sample metainfo fields to break the
            scores down by (None values are skipped).
            Defaults to ``('caption_type', 'expression_kind')``.
        format_only (bool): Only write the prediction PNGs (test splits
            without GT) and zip them; returns no metric. Requires
            ``outfile_prefix``. Defaults to False.
        outfile_prefix (str, optional): Folder receiving
            ``<video>/<exp_id>/<frame_name>.png`` (0/255, MeViS submission
            layout); the PNGs written by this run are zipped into
            ``<outfile_prefix>.zip`` at the end.
        zip_arc_prefix (str): Folder prepended inside the zip (e.g.
            ``'Annotations'`` for Ref-YouTube-VOS). Defaults to ``''``.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names.
        collect_dir (str, optional): Folder for CPU result collection.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 pred_key: str = 'pred_mask',
                 gt_key: str = 'gt_mask',
                 skip_first_last: bool = False,
                 bound_th: float = DEFAULT_BOUND_TH,
                 breakdown_keys: Sequence[str] = ('caption_type',
                                                  'expression_kind'),
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 zip_arc_prefix: str = '',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        if format_only and not outfile_prefix:
            raise ValueError('RVOSJFMetric(format_only=True) writes the '
                             'prediction PNGs: set outfile_prefix to the '
                             'output folder.')
        self.pred_key = pred_key
        self.gt_key = gt_key
        self.skip_first_last = skip_first_last
        self.bound_th = bound_th
        self.breakdown_keys = tuple(breakdown_keys)
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self.zip_arc_prefix = zip_arc_prefix

    # ------------------------------------------------------------ process
    def process(self, data_batch, data_samples: Sequence) -> None:
        """Score each sample and store one small record.

        Args:
            data_batch: Unused.
            data_samples (Sequence[dict | TrackDataSample]): Predicted
                samples (``TrackDataSample.to_dict()`` from mmengine's
                Evaluator, or data elements), each with
                ``video_data_samples`` holding ``pred_key`` and ``gt_key``.
        """
        for sample in data_samples:
            name = (f'video {_get(sample, "video_id")!r} expression '
                    f'{_get(sample, "exp_id")!r}')
            frames = _frames(sample)
            if not frames:
                raise ValueError(f'{name}: the sample has no '
                                 'video_data_samples to evaluate.')
            frame_ids, frame_names = self._frame_ids_and_names(sample, frames)
            pred = self._stack(sample, self.pred_key, name)
            record = dict(
                video_id=str(_get(sample, 'video_id')),
                exp_id=str(_get(sample, 'exp_id')),
                frame_ids=frame_ids)
            if self.outfile_prefix:
                record['png_files'] = self._write_pngs(
                    record['video_id'], record['exp_id'], frame_names, pred)
            for key in self.breakdown_keys:
                record[key] = _get(sample, key)
            if not self.format_only:
                gt = self._stack(sample, self.gt_key, name)
                if tuple(gt.shape) != tuple(pred.shape):
                    raise ValueError(
                        f'{name}: {self.pred_key} has shape '
                        f'{tuple(pred.shape)} but {self.gt_key} has '
                        f'{tuple(gt.shape)} (T, H, W); predictions must be '
                        'resized back to ori_shape and un-padded.')
                j_values, f_values = jf_per_frame(
                    pred, gt, bound_th=self.bound_th)
                record['J'] = j_values.tolist()
                record['F'] = f_values.tolist()
            self.results.append(record)

    @staticmethod
    def _frame_ids_and_names(sample, frames) -> tuple:
        """Frame indices in the video and frame names of a sample."""
        names_meta = _get(sample, 'frame_names')
        ids, names = [], []
        for index, frame in enumerate(frames):
            frame_id = _get(frame, 'frame_id', index)
            name = _get(frame, 'frame_name')
            if name is None and names_meta is not None:
                name = names_meta[index]
            ids.append(int(frame_id))
            names.append(str(name) if name is not None else
                         f'{int(frame_id):05d}')
        return ids, names

    @staticmethod
    def _stack(sample, key: str, name: str) -> np.ndarray:
        """(T, H, W) bool numpy masks of one field, with a clear error."""
        try:
            masks = stack_frame_masks(sample, key)
        except KeyError as err:
            hint = ('load the GT masks in the test pipeline (LoadRVOSMasks) '
                    'or use format_only=True' if key.startswith('gt') else
                    'the model must write it in predict()')
            raise KeyError(f'{name}: {err.args[0]} ({hint}).') from err
        except RuntimeError as err:  # torch.stack of different sizes
            raise ValueError(f'{name}: the per-frame {key} masks differ in '
                             f'size ({err}); every frame of a video must be '
                             'at its original resolution.') from err
        return to_bool_masks(masks, key)

    def _write_pngs(self, video_id: str, exp_id: str,
                    frame_names: List[str], pred: np.ndarray) -> List[str]:
        """Write ``<outfile_prefix>/<video>/<exp_id>/<frame>.png``.

        Returns:
            list[str]: The written paths relative to ``outfile_prefix`` (the
            zip holds exactly these, never stale files of earlier runs).
        """
        files = []
        for frame_name, mask in zip(frame_names, pred):
            rel = osp.join(video_id, exp_id, f'{frame_name}.png')
            write_mask_png(osp.join(self.outfile_prefix, rel), mask)
            files.append(rel)
        return files

    # ------------------------------------------------------------ compute
    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Average over frames, then over (video, expression) pairs.

        Args:
            results (list[dict]): Records of all ranks.

        Returns:
            dict[str, float]: ``J``, ``F``, ``J&F`` and the breakdowns (empty
            with ``format_only``).
        """
        if self.outfile_prefix:
            files = [f for r in results for f in r.get('png_files', [])]
            zip_path = zip_folder(self.outfile_prefix,
                                  f'{self.outfile_prefix.rstrip("/")}.zip',
                                  arc_prefix=self.zip_arc_prefix,
                                  files=files)
            print_log(f'RVOSJFMetric: predictions written to '
                      f'{self.outfile_prefix} and zipped to {zip_path}.',
                      logger='current')
        if self.format_only:
            return {}
        if not results:
            raise ValueError('RVOSJFMetric: no sample was evaluated; check '
                             'that the test dataloader is not empty.')
        per_exp = self.expression_scores(results)
        metrics = OrderedDict(self.average(list(per_exp.values())))
        counts = [f'{len(per_exp)} expressions']
        for key in self.breakdown_keys:
            groups = defaultdict(list)
            for score in per_exp.values():
                if score[key] is not None:
                    groups[score[key]].append(score)
            for value in sorted(groups, key=str):
                for name, number in self.average(groups[value]).items():
                    metrics[f'{key}/{value}/{name}'] = number
                counts.append(f'{key}={value}: {len(groups[value])}')
        print_log('RVOSJFMetric: ' + ', '.join(counts), logger='current')
        return metrics

    def expression_scores(self, results: list) -> Dict[tuple, dict]:
        """Merge records per (video, expression) and average its frames.

        Returns:
            dict[tuple, dict]: ``(video_id, exp_id) -> {J, F, <breakdowns>}``
            where J and F are means over the expression's frames.
        """
        merged: Dict[tuple, dict] = OrderedDict()
        for record in results:
            key = (record['video_id'], record['exp_id'])
            entry = merged.setdefault(key, dict(frames={}, record=record))
            for frame_id, j, f in zip(record['frame_ids'], record['J'],
                                      record['F']):
                if frame_id in entry['frames']:
                    raise ValueError(
                        f'video {key[0]!r} expression {key[1]!r}: frame '
                        f'{frame_id} was evaluated twice; clips of a video '
                        'must not overlap in the test dataloader.')
                entry['frames'][frame_id] = (j, f)
        scores = OrderedDict()
        for key, entry in merged.items():
            frame_ids = sorted(entry['frames'])
            if self.skip_first_last:
                if len(frame_ids) < 3:
                    raise ValueError(
                        f'video {key[0]!r} expression {key[1]!r} has '
                        f'{len(frame_ids)} frames: skip_first_last needs at '
                        'least 3.')
                frame_ids = frame_ids[1:-1]
            values = np.array([entry['frames'][i] for i in frame_ids])
            score = dict(J=float(values[:, 0].mean()),
                         F=float(values[:, 1].mean()))
            for field in self.breakdown_keys:
                score[field] = entry['record'].get(field)
            scores[key] = score
        return scores

    @staticmethod
    def average(scores: List[dict]) -> Dict[str, float]:
        """Mean J and F over expressions and ``J&F = (J + F) / 2``."""
        j_mean = float(np.mean([s['J'] for s in scores]))
        f_mean = float(np.mean([s['F'] for s in scores]))
        return {'J': j_mean, 'F': f_mean, 'J&F': (j_mean + f_mean) / 2}
