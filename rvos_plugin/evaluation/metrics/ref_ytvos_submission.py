"""Ref-YouTube-VOS submission writer (the benchmark is server-only)."""
import os.path as osp
from typing import Dict, Sequence

import numpy as np
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from rvos_plugin.evaluation.functional.mask_io import (write_mask_png,
                                                       zip_folder)
from rvos_plugin.evaluation.functional.rle import decode_rle, encode_rle
from rvos_plugin.registry import METRICS
from rvos_plugin.structures import stack_frame_masks


@METRICS.register_module()
class RVOSRefYTVOSSubmission(BaseMetric):
    """Write ``Annotations/<vid>/<exp_id>/<frame>.png`` (mask*255) + zip.

    Format-only: every listed frame of the video must be predicted (test
    pipeline with ``RVOSFrameSample(test_mode=True)``). Predictions are kept
    as RLE until ``compute_metrics`` (rank 0) writes them, so DDP is safe.

    Args:
        outfile_prefix (str): Folder receiving ``Annotations/``; the zip is
            ``<outfile_prefix>.zip``.
    """

    default_prefix = 'ref_ytvos'

    def __init__(self, outfile_prefix: str = 'work_dirs/ref_ytvos_submission',
                 collect_device: str = 'cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            name = (f'video {sample.get("video_id")!r} expression '
                    f'{sample.get("exp_id")!r}')
            names = list(sample.get('frame_names') or [])
            total = sample.get('num_video_frames')
            if total is not None and len(set(names)) != int(total):
                raise ValueError(
                    f'{name}: {len(set(names))} of {total} frames predicted; '
                    'the submission needs every listed frame '
                    '(RVOSFrameSample(test_mode=True), no max_test_frames).')
            try:
                pred = stack_frame_masks(sample, 'pred_mask').cpu().numpy()
            except KeyError as e:
                raise KeyError(f'{name}: {e.args[0]}; the model writes '
                               'pred_mask in predict().') from e
            self.results.append(dict(
                video_id=str(sample.get('video_id')),
                exp_id=str(sample.get('exp_id')), frame_names=names,
                rles=[encode_rle(m) for m in pred]))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        folder = osp.join(self.outfile_prefix, 'Annotations')
        for r in results:
            for frame, rle in zip(r['frame_names'], r['rles']):
                mask = decode_rle(rle, source=(
                    f'prediction of {r["video_id"]}/{r["exp_id"]} frame '
                    f'{frame}'))
                write_mask_png(
                    osp.join(folder, r['video_id'], r['exp_id'],
                             f'{frame}.png'), np.asarray(mask))
        if is_main_process():
            zip_path = zip_folder(folder, self.outfile_prefix + '.zip',
                                  arc_prefix='Annotations')
            print_log(f'Ref-YouTube-VOS submission: {len(results)} '
                      f'expressions written to {zip_path}', 'current')
        return {}
