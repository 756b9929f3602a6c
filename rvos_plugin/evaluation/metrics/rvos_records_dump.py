"""``tools/test.py --out``: one compact record per (video, expression)."""
import os.path as osp
import pickle
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.fileio import dump
from mmengine.utils import mkdir_or_exist

from rvos_plugin.evaluation.functional.davis import jf_per_frame
from rvos_plugin.evaluation.functional.rle import encode_rle
from rvos_plugin.registry import METRICS
from rvos_plugin.structures import get_frames, has_frame_masks
from rvos_plugin.structures import stack_frame_masks

RECORD_KEYS = ('video_id', 'exp_id', 'expression', 'frame_names')


def _score(frame, key: str):
    field = frame.get(key) if isinstance(frame, dict) else frame.get(key,
                                                                     None)
    if field is None:
        return None
    meta = field.get('metainfo', field) if isinstance(field, dict) \
        else field.metainfo
    score = meta.get('score') if isinstance(meta, dict) else None
    return None if score is None else float(score)


@METRICS.register_module()
class RVOSDumpRecords(BaseMetric):
    """Write compact per-expression prediction records (no GT, no pixels).

    One record per (video, expression) with ``video_id``, ``exp_id``,
    ``expression``, ``frame_names``, ``pred_mask`` (COCO compressed RLE per
    frame, ``{"size": [h, w], "counts": str}``), ``scores`` (per frame, when
    the model gives them), ``J``, ``F`` and ``J&F`` (means over the frames,
    in [0, 1], when the sample has a GT mask) and, for ReVIOsA,
    ``pred_target_mask`` (RLE), ``target_J`` / ``target_F`` and
    ``pred_answer``. The file is JSON for ``.json`` and a pickle of the same
    list otherwise. docs/inference.md, "tools/test.py --out".

    Args:
        out_file_path (str): ``.json``, ``.pkl`` or ``.pickle``.
    """

    default_prefix = 'dump'

    def __init__(self, out_file_path: str, **kwargs) -> None:
        super().__init__(**kwargs)
        if not out_file_path.endswith(('.json', '.pkl', '.pickle')):
            raise ValueError(f'--out {out_file_path!r}: use a .json, .pkl or '
                             '.pickle file.')
        self.out_file_path = out_file_path

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            self.results.append(self.record(sample))

    @staticmethod
    def record(sample) -> Dict:
        """The compact record of one predicted sample (dict or element)."""
        meta = sample if isinstance(sample, dict) else sample.metainfo
        rec = {k: meta.get(k) for k in RECORD_KEYS}
        rec['video_id'], rec['exp_id'] = str(rec['video_id']), str(
            rec['exp_id'])
        frames = get_frames(sample)
        for key, prefix in (('pred_mask', ''), ('pred_target_mask',
                                                'target_')):
            if not has_frame_masks(sample, key):
                continue
            pred = stack_frame_masks(sample, key).cpu().numpy() > 0
            rec[key] = [encode_rle(m) for m in pred]
            scores = [_score(f, key) for f in frames]
            if any(s is not None for s in scores):
                rec[prefix + 'scores'] = scores
            gt_key = 'gt_mask' if key == 'pred_mask' else 'gt_target_mask'
            if has_frame_masks(sample, gt_key) and (
                    key == 'pred_mask' or meta.get('has_target')):
                gt = stack_frame_masks(sample, gt_key).cpu().numpy() > 0
                if gt.shape == pred.shape:
                    j, f = jf_per_frame(pred, gt)
                    rec[prefix + 'J'] = float(np.mean(j))
                    rec[prefix + 'F'] = float(np.mean(f))
                    rec[prefix + 'J&F'] = (rec[prefix + 'J'] +
                                           rec[prefix + 'F']) / 2
        if meta.get('pred_answer') is not None:
            rec['pred_answer'] = list(meta['pred_answer'])
        return rec

    def compute_metrics(self, results: List[Dict]) -> Dict:
        out_dir = osp.dirname(osp.abspath(self.out_file_path))
        mkdir_or_exist(out_dir)
        if self.out_file_path.endswith('.json'):
            dump(results, self.out_file_path, indent=1)
        else:
            with open(self.out_file_path, 'wb') as f:
                pickle.dump(results, f)
        print(f'{len(results)} records written to {self.out_file_path}')
        return {}
