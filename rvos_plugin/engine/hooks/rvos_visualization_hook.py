"""Draw predicted masks and the expression during validation and testing.

Frames come from the sample's video file (decord) when it exists, else from
its JPEG/PNG frame folder, so splits holding only mp4 files work. Drawing
goes through the runner's visualizer (``RVOSLocalVisualizer``), hence to
every configured ``vis_backend`` (local files, TensorBoard, ...).
"""
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmengine.utils import mkdir_or_exist
from mmengine.visualization import Visualizer

from rvos_plugin.registry import HOOKS


def read_sample_frames(meta: dict) -> List[np.ndarray]:
    """RGB frames (H, W, 3) of a packed sample, in its frame order.

    Reads ``video_path`` with decord when that file exists, otherwise the
    frame images ``frame_dir/<frame_name><frame_ext>``.

    Args:
        meta (dict): Sample metainfo with ``frame_names`` and ``frame_inds``
            plus ``video_path`` and / or ``frame_dir`` + ``frame_ext``.
    """
    from rvos_plugin.datasets.transforms.loading import (RVOSDataError,
                                                         read_frame,
                                                         read_video_frames)
    video_path = meta.get('video_path')
    if video_path and osp.isfile(video_path):
        return read_video_frames(video_path, list(meta['frame_inds']))
    frame_dir = meta.get('frame_dir')
    if not frame_dir:
        raise RVOSDataError(
            f'Sample {meta.get("video_id")!r}/{meta.get("exp_id")!r} has '
            f'neither an existing video_path ({video_path!r}) nor a '
            'frame_dir; the visualization hook needs one of them in the '
            'packed metainfo (PackRVOSInputs meta_keys).')
    return [read_frame(osp.join(frame_dir, name + meta['frame_ext']))
            for name in meta['frame_names']]


@HOOKS.register_module()
class RVOSVisualizationHook(Hook):
    """Visualize RVOS predictions through the runner's visualizer.

    - Validation: every ``interval``-th iteration, the frames of the first
      sample go to the vis backends (``val_<video>_<exp>_<frame>``, step =
      the training iteration).
    - Testing: every sample; with ``test_out_dir`` (``--show-dir``) the
      frames are written to ``<test_out_dir>/<video_id>/<exp_id>/<frame>.jpg``,
      otherwise they go to the vis backends; ``show`` opens a window.

    Args:
        draw (bool): Draw at all (``tools/test.py --show/--show-dir`` and
            ``default_runtime.py``'s switch turn it on).
        interval (int): Validation: draw every k-th iteration.
        show (bool): Show each drawn frame in a window.
        wait_time (float): Seconds a shown frame stays (0: until a key).
        test_out_dir (str, optional): Output folder of ``--show-dir``;
            relative paths go under the runner's log dir.
        frame_interval (int): Draw every k-th frame of a sample.
        draw_gt (bool): Outline the GT mask when the sample has one.
        show_dir (str, optional): Former name of ``test_out_dir``.
    """

    priority = 'LOW'

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 show: bool = False,
                 wait_time: float = 0.,
                 test_out_dir: Optional[str] = None,
                 frame_interval: int = 1,
                 draw_gt: bool = True,
                 show_dir: Optional[str] = None):
        self.draw = draw
        self.interval = max(1, interval)
        self.show = show
        self.wait_time = wait_time
        self.test_out_dir = test_out_dir or show_dir
        self.frame_interval = max(1, frame_interval)
        self.draw_gt = draw_gt
        self._visualizer: Optional[Visualizer] = None

    def before_run(self, runner) -> None:
        self._visualizer = runner.visualizer

    def before_test(self, runner) -> None:
        if self._visualizer is None:
            self._visualizer = runner.visualizer
        if self.draw and self.test_out_dir and \
                not osp.isabs(self.test_out_dir):
            self.test_out_dir = osp.join(runner.log_dir, self.test_out_dir)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        if not self.draw or not outputs or batch_idx % self.interval:
            return
        self.draw_sample(outputs[0], prefix='val', step=runner.iter)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        if not self.draw or not outputs:
            return
        for sample in outputs:
            self.draw_sample(sample, prefix='test', step=batch_idx,
                             out_dir=self.test_out_dir)

    def draw_sample(self, sample, prefix: str = 'test', step: int = 0,
                    out_dir: Optional[str] = None) -> None:
        """Draw the frames of one predicted ``TrackDataSample``."""
        vis = self._visualizer or Visualizer.get_current_instance()
        if not hasattr(vis, 'draw_frame'):
            raise TypeError(
                f'RVOSVisualizationHook needs the RVOSLocalVisualizer, the '
                f'runner has {type(vis).__name__}; set visualizer=dict('
                "type='RVOSLocalVisualizer', ...) as default_runtime.py "
                'does.')
        meta = sample.metainfo
        frames = read_sample_frames(meta)
        video, exp = str(meta['video_id']), str(meta['exp_id'])
        key = osp.join(video, exp)
        if out_dir is not None:
            mkdir_or_exist(osp.join(out_dir, key))
        for t, name in enumerate(meta['frame_names']):
            if t % self.frame_interval:
                continue
            vis.add_datasample(
                f'{prefix}_{video}_{exp}_{name}', frames[t], sample,
                draw_gt=self.draw_gt, show=self.show,
                wait_time=self.wait_time,
                out_file=None if out_dir is None else osp.join(
                    out_dir, key, name + '.jpg'),
                step=step, frame_index=t)
