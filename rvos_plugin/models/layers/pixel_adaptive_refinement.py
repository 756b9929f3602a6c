"""Pixel-adaptive refinement (PAR) of coarse mask probabilities.

Weakly supervised segmentation predicts masks from coarse token maps (here
12x12 for 96 px frames); the usual remedy in that field is a colour-affinity
refinement of the upsampled map. This is the parameter-free PAR of Ru et al.,
"Learning Affinity from Attention", CVPR 2022 (released code ``PAR`` in
``rulixiang/afa``): each pixel's probability is repeatedly replaced by a
weighted mean of its neighbours at several dilations, weighted by colour
similarity (normalised by the local colour spread) plus a small positional
prior. It reads only the frames, never a mask.
"""
import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rvos_plugin.registry import MODELS

# the 8 neighbours of a pixel at unit dilation, (dy, dx)
_NEIGHBOUR_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1),
                      (1, 0), (1, 1))


def dilated_neighbours(x: Tensor, dilations: Sequence[int]) -> Tensor:
    """The 8 neighbours of every pixel at each dilation (replicate padding).

    Args:
        x (Tensor): ``(N, C, H, W)``.
        dilations (Sequence[int]): Neighbour distances in pixels.

    Returns:
        Tensor: ``(N, M, C, H, W)`` with ``M = 8 * len(dilations)``
        (neighbours before the channels: the fastest layout for the
        reductions over them); neighbour ``8 * i + k`` is at offset
        ``_NEIGHBOUR_OFFSETS[k] * dilations[i]``.
    """
    H, W = x.shape[-2:]
    out = []
    for d in dilations:
        pad = F.pad(x, [d] * 4, mode='replicate')
        for dy, dx in _NEIGHBOUR_OFFSETS:
            out.append(pad[..., d + dy * d:d + dy * d + H,
                           d + dx * d:d + dx * d + W])
    return torch.stack(out, dim=1)


def par_affinity(images: Tensor, dilations: Sequence[int],
                 w_color: float = 0.3, w_pos: float = 0.01) -> Tensor:
    """PAR affinities of each pixel to its dilated neighbours.

    ``a_ij = softmax_j(-(|I_i - I_j| / (std_j(I_j) w_color))^2 averaged over
    channels) + w_pos * softmax_j(-(d_ij / (std_j(d_ij) w_color))^2)``,
    divided by ``1 + w_pos`` so that each pixel's weights sum to 1 (a
    constant map stays constant; the released code leaves the sum at
    ``1 + w_pos``, which only rescales the CAMs it argmaxes).

    Args:
        images (Tensor): ``(N, 3, H, W)`` frames (any affine normalisation
            shared by the channels' scale).
        dilations (Sequence[int]): Neighbour distances.
        w_color (float): Colour (and position) temperature, 0.3 in PAR.
        w_pos (float): Weight of the positional prior, 0.01 in PAR.

    Returns:
        Tensor: ``(N, M, H, W)`` weights (``M = 8 * len(dilations)``)
        summing to 1 over dim 1.
    """
    images = images.float()
    nb = dilated_neighbours(images, dilations)  # N,M,3,H,W
    std = (nb - nb.mean(1, keepdim=True)).square_().sum(1, keepdim=True).div_(
        nb.shape[1] - 1).sqrt_()  # unbiased, as torch.std
    scale = std.add_(1e-8).mul_(w_color).square_()
    color = (nb - images.unsqueeze(1)).square_().div_(scale).mean(2)
    color = color.neg_().softmax(1)  # N,M,H,W
    dist = torch.tensor([
        d * math.hypot(dy, dx) for d in dilations
        for dy, dx in _NEIGHBOUR_OFFSETS
    ], dtype=images.dtype, device=images.device)
    pos = (-(dist / (dist.std() + 1e-8) / w_color)**2).softmax(0)
    return color.add_(w_pos * pos[None, :, None, None]).div_(1 + w_pos)


@MODELS.register_module()
class PixelAdaptiveRefinement(nn.Module):
    """Refine mask probabilities with the frames' colour affinities (PAR).

    Args:
        dilations (Sequence[int]): Neighbour distances in pixels, PAR's
            (1, 2, 4, 8, 12, 24) by default.
        num_iters (int): Propagation steps (PAR: 10).
        w_color (float): Colour temperature (PAR: 0.3).
        w_pos (float): Positional prior weight (PAR: 0.01).
        chunk_size (int): Frames refined at once. The peak memory grows
            with ``len(dilations) * H * W`` per frame (0.3 GB measured per
            360x640 frame with the default dilations), so long videos are
            refined in chunks.
    """

    def __init__(self,
                 dilations: Sequence[int] = (1, 2, 4, 8, 12, 24),
                 num_iters: int = 10,
                 w_color: float = 0.3,
                 w_pos: float = 0.01,
                 chunk_size: int = 8) -> None:
        super().__init__()
        if not dilations or any(int(d) < 1 for d in dilations):
            raise ValueError(f'dilations must be positive ints, got '
                             f'{dilations!r}')
        if num_iters < 0:
            raise ValueError(f'num_iters must be >= 0, got {num_iters}')
        if chunk_size < 1:
            raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
        self.chunk_size = chunk_size
        self.dilations = tuple(int(d) for d in dilations)
        self.num_iters = num_iters
        self.w_color = w_color
        self.w_pos = w_pos

    @torch.no_grad()
    def forward(self, images: Tensor, probs: Tensor) -> Tensor:
        """Refine.

        Args:
            images (Tensor): ``(N, 3, H, W)`` frames.
            probs (Tensor): ``(N, K, H, W)`` probabilities at the frames'
                size.

        Returns:
            Tensor: ``(N, K, H, W)`` refined probabilities (float32).
        """
        if images.shape[0] != probs.shape[0] or \
                images.shape[-2:] != probs.shape[-2:]:
            raise ValueError(
                'PixelAdaptiveRefinement needs probabilities at the frames\' '
                f'size: images {tuple(images.shape)}, probs '
                f'{tuple(probs.shape)}')
        return torch.cat([
            self._refine(images[i:i + self.chunk_size],
                         probs[i:i + self.chunk_size])
            for i in range(0, images.shape[0], self.chunk_size)
        ])

    def _refine(self, images: Tensor, probs: Tensor) -> Tensor:
        aff = par_affinity(images, self.dilations, self.w_color, self.w_pos)
        aff = aff.unsqueeze(2)  # N,M,1,H,W
        probs = probs.float()
        for _ in range(self.num_iters):
            probs = (dilated_neighbours(probs, self.dilations) * aff).sum(1)
        return probs
