"""Residual spatio-temporal convolution over the frames of a clip."""
import torch.nn as nn
from torch import Tensor


class TemporalConvBlock(nn.Module):
    """``x + GN(Conv3d_{k_t x 3 x 3}(x))`` followed by ReLU.

    Frames arrive flattened, (B*T, C, H, W); the block reshapes to
    (B, C, T, H, W) so the 3-D kernel sees neighbouring frames (motion cues
    such as "moving left"). Zero temporal padding makes it valid for any T,
    including whole test videos longer than the training clips.

    Args:
        channels (int): C.
        temporal_kernel (int): Odd kernel size over time.
        num_groups (int): GroupNorm groups.
    """

    def __init__(self, channels: int, temporal_kernel: int = 3,
                 num_groups: int = 8):
        super().__init__()
        if temporal_kernel % 2 != 1:
            raise ValueError(
                f'temporal_kernel must be odd, got {temporal_kernel}.')
        pad = (temporal_kernel // 2, 1, 1)
        self.conv = nn.Conv3d(channels, channels, (temporal_kernel, 3, 3),
                              padding=pad, bias=False)
        self.norm = nn.GroupNorm(num_groups, channels)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, num_frames: int) -> Tensor:
        """Mix information across time.

        Args:
            x (Tensor): (B*T, C, H, W), frames of a clip contiguous.
            num_frames (int): T.

        Returns:
            Tensor: (B*T, C, H, W).
        """
        bt, c, h, w = x.shape
        if bt % num_frames:
            raise ValueError(
                f'{bt} maps are not a multiple of T={num_frames}.')
        clip = x.view(bt // num_frames, num_frames, c, h, w).transpose(1, 2)
        out = self.norm(self.conv(clip))  # GN over (C, T, H, W) per clip
        out = out.transpose(1, 2).reshape(bt, c, h, w)
        return self.act(x + out)


__all__ = ['TemporalConvBlock']
