"""Trivial reference predictors: empty mask, full frame, centre box."""
import math
from typing import List

import torch
from mmengine.model import BaseModel

from rvos_plugin.registry import MODELS
from rvos_plugin.structures import set_frame_masks

TRIVIAL_MODES = ('empty', 'full', 'centre_box')


def centre_box_mask(height: int, width: int, area_fraction: float,
                    device=None) -> torch.Tensor:
    """A centred box covering ``area_fraction`` of the frame, same aspect.

    Args:
        height (int): Frame height H.
        width (int): Frame width W.
        area_fraction (float): Box area / frame area, in (0, 1].
        device: Torch device.

    Returns:
        Tensor: (H, W) bool mask.
    """
    side = math.sqrt(area_fraction)
    box_h = max(1, int(round(height * side)))
    box_w = max(1, int(round(width * side)))
    top = (height - box_h) // 2
    left = (width - box_w) // 2
    mask = torch.zeros(height, width, dtype=torch.bool, device=device)
    mask[top:top + box_h, left:left + box_w] = True
    return mask


@MODELS.register_module()
class RVOSTrivialPredictor(BaseModel):
    """Predicts the same mask for every expression: the floor any model must
    beat. It ignores the video and the text.

    Args:
        mode (str): ``'empty'``, ``'full'`` (whole frame) or ``'centre_box'``.
        box_area (float): Area fraction of the centre box (¼ by default).
        data_preprocessor (dict, optional): Only used to move data.
    """

    def __init__(self,
                 mode: str = 'centre_box',
                 box_area: float = 0.25,
                 data_preprocessor: dict = None):
        super().__init__(data_preprocessor=data_preprocessor)
        if mode not in TRIVIAL_MODES:
            raise ValueError(f'mode must be one of {TRIVIAL_MODES}')
        self.mode = mode
        self.box_area = box_area

    def forward(self, inputs, data_samples=None, mode: str = 'predict'):
        if mode != 'predict':
            raise RuntimeError(
                'RVOSTrivialPredictor has nothing to train; use it with '
                'tools/test.py only.')
        return self.predict(data_samples)

    def predict(self, data_samples: List) -> List:
        for sample in data_samples:
            h, w = sample.metainfo['ori_shape']
            num = len(sample.video_data_samples)
            if self.mode == 'empty':
                frame = torch.zeros(h, w, dtype=torch.bool)
            elif self.mode == 'full':
                frame = torch.ones(h, w, dtype=torch.bool)
            else:
                frame = centre_box_mask(h, w, self.box_area)
            set_frame_masks(sample, 'pred_mask',
                            frame[None].expand(num, h, w).clone())
            if sample.metainfo.get('has_target', False):
                set_frame_masks(sample, 'pred_target_mask',
                                frame[None].expand(num, h, w).clone())
        return data_samples
