"""Draw predicted masks and the expression on test frames (``--show-dir``)."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmengine.utils import mkdir_or_exist
from mmengine.visualization import Visualizer

from rvos_plugin.registry import HOOKS
from rvos_plugin.structures import has_frame_masks, stack_frame_masks

_COLORS = {'pred_mask': (255, 64, 64), 'pred_target_mask': (64, 160, 255)}


@HOOKS.register_module()
class RVOSVisualizationHook(Hook):
    """Save frames with the predicted actor/target masks and the expression.

    Output: ``<show_dir>/<video_id>/<exp_id>/<frame_name>.jpg``.

    Args:
        draw (bool): Whether to draw at all (``tools/test.py --show-dir``
            switches it on).
        show_dir (str, optional): Output folder; relative paths go under the
            runner's log dir.
        frame_interval (int): Draw every k-th frame.
        alpha (float): Mask opacity.
    """

    priority = 'LOW'

    def __init__(self,
                 draw: bool = False,
                 show_dir: Optional[str] = None,
                 frame_interval: int = 1,
                 alpha: float = 0.5):
        self.draw = draw
        self.show_dir = show_dir
        self.frame_interval = max(1, frame_interval)
        self.alpha = alpha
        self._visualizer = None

    def before_test(self, runner) -> None:
        if self.draw and self.show_dir and not osp.isabs(self.show_dir):
            self.show_dir = osp.join(runner.log_dir, self.show_dir)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        if not self.draw or not self.show_dir or not outputs:
            return
        for sample in outputs:
            self.draw_sample(sample)

    def draw_sample(self, sample) -> None:
        """Draw one predicted TrackDataSample to ``show_dir``."""
        from rvos_plugin.datasets.transforms.loading import read_frame
        if self._visualizer is None:
            self._visualizer = Visualizer(name='rvos_vis_hook')
        meta = sample.metainfo
        out_dir = osp.join(self.show_dir, str(meta['video_id']),
                           str(meta['exp_id']))
        mkdir_or_exist(out_dir)
        masks = {
            key: stack_frame_masks(sample, key).cpu().numpy().astype(bool)
            for key in _COLORS if has_frame_masks(sample, key)
        }
        for t, name in enumerate(meta['frame_names']):
            if t % self.frame_interval:
                continue
            frame = read_frame(
                osp.join(meta['frame_dir'], name + meta['frame_ext']))
            vis = self._visualizer
            vis.set_image(frame)
            for key, stack in masks.items():
                if stack[t].any():
                    vis.draw_binary_masks(
                        stack[t], colors=[_COLORS[key]], alphas=self.alpha)
            vis.draw_texts(
                meta['expression'],
                np.array([4, 4]),
                font_sizes=max(8, frame.shape[0] // 30),
                colors='white',
                bboxes=dict(facecolor='black', alpha=0.6, pad=1))
            import cv2
            cv2.imwrite(
                osp.join(out_dir, name + '.jpg'),
                cv2.cvtColor(vis.get_image(), cv2.COLOR_RGB2BGR))
