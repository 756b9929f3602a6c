"""Batch RVOS clips: normalise, pad and stack (docs/data_contract.md §4)."""
import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import PixelData

from rvos_plugin.registry import MODELS

_MASK_FIELDS = ('gt_mask', 'gt_target_mask')


@MODELS.register_module()
class RVOSDataPreprocessor(BaseDataPreprocessor):
    """Turn a list of (T, 3, h, w) uint8 clips into a (B, T, 3, H, W) batch.

    Steps:

    - move inputs and data samples to the model's device;
    - cast to float and normalise with ``mean``/``std`` (0-255 RGB scale);
    - zero-pad every clip to the largest (h, w) of the batch, rounded up to
      ``pad_size_divisor``; pad training GT masks the same way;
    - record ``batch_input_shape`` and ``pad_shape`` in each sample.

    Args:
        mean (Sequence[float]): Per-channel mean (RGB).
        std (Sequence[float]): Per-channel std (RGB).
        pad_size_divisor (int): Pad H and W to a multiple of this.
        pad_value (float): Value of padded input pixels (after
            normalisation, 0 is the mean colour).
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 pad_size_divisor: int = 1,
                 pad_value: float = 0.0,
                 non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)
        self.register_buffer('mean',
                             torch.tensor(mean, dtype=torch.float32).view(
                                 1, 3, 1, 1), False)
        self.register_buffer('std',
                             torch.tensor(std, dtype=torch.float32).view(
                                 1, 3, 1, 1), False)
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        data_samples: Optional[list] = data.get('data_samples')
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs)
        num_frames = {clip.shape[0] for clip in inputs}
        if len(num_frames) != 1:
            raise ValueError(
                f'all clips of a batch need the same number of frames, got '
                f'{sorted(num_frames)}; use batch_size=1 for test splits '
                'with whole videos of different lengths.')
        max_h = max(clip.shape[-2] for clip in inputs)
        max_w = max(clip.shape[-1] for clip in inputs)
        div = self.pad_size_divisor
        pad_h = int(math.ceil(max_h / div)) * div
        pad_w = int(math.ceil(max_w / div)) * div
        batch = []
        for clip in inputs:
            clip = (clip.float() - self.mean) / self.std
            h, w = clip.shape[-2:]
            if (h, w) != (pad_h, pad_w):
                clip = F.pad(clip, (0, pad_w - w, 0, pad_h - h),
                             value=self.pad_value)
            batch.append(clip)
        batch_inputs = torch.stack(batch)
        if data_samples is not None:
            for sample in data_samples:
                sample.set_metainfo(
                    dict(
                        batch_input_shape=(pad_h, pad_w),
                        pad_shape=(pad_h, pad_w)))
                if training:
                    self._pad_masks(sample, pad_h, pad_w)
        return dict(inputs=batch_inputs, data_samples=data_samples)

    @staticmethod
    def _pad_masks(sample, pad_h: int, pad_w: int) -> None:
        for frame in sample.video_data_samples:
            for key in _MASK_FIELDS:
                field = frame.get(key, None)
                if field is None:
                    continue
                h, w = field.data.shape[-2:]
                if (h, w) != (pad_h, pad_w):
                    padded = F.pad(field.data, (0, pad_w - w, 0, pad_h - h))
                    frame.set_field(
                        PixelData(data=padded, metainfo=field.metainfo), key)
