"""Maps of the target mask the CPU recipe's actor head reads
(``target_context_for_actor``; not in the paper): dilations at several
radii, the union over a temporal window, the mask some frames earlier.
Reasons: ``docs/decisions/reviosa.md``, sessions 6-8."""
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F


def proximity_maps(mask: torch.Tensor,
                   radii: Sequence[float]) -> torch.Tensor:
    """Dilations of a mask at radii relative to the frame size.

    Args:
        mask (Tensor): (T, 1, H, W) values in [0, 1].
        radii (Sequence[float]): radius of each map as a fraction of
            ``min(H, W)``; a radius of r pixels is a (2r + 1)-square max
            filter (at least 1 pixel).

    Returns:
        Tensor: (T, len(radii), H, W); map k is 1 within
        ``radii[k] * min(H, W)`` pixels (Chebyshev distance) of the mask.
    """
    if mask.dim() != 4 or mask.size(1) != 1:
        raise ValueError(f'proximity_maps expects (T, 1, H, W), got '
                         f'{tuple(mask.shape)}.')
    side = min(mask.shape[-2:])
    out = []
    for r in radii:
        if r <= 0:
            raise ValueError(f'proximity radii must be > 0, got {r}.')
        k = max(1, int(round(r * side)))
        # the square max filter is separable: a column pass then a row
        # pass (8x faster than one 31 x 31 window at 96 px on CPU)
        rows = F.max_pool2d(mask, (2 * k + 1, 1), stride=1, padding=(k, 0))
        out.append(F.max_pool2d(rows, (1, 2 * k + 1), stride=1,
                                padding=(0, k)))
    return torch.cat(out, dim=1)


def clip_frame_indices(caller: str, mask: torch.Tensor,
                       frame_inds: Sequence[int]) -> np.ndarray:
    """Check a (T, 1, H, W) mask stack and its T increasing video frame
    indices; return the indices as an array. ``caller`` names the function
    in the error message."""
    if mask.dim() != 4 or mask.size(1) != 1:
        raise ValueError(f'{caller} expects (T, 1, H, W), got '
                         f'{tuple(mask.shape)}.')
    if len(frame_inds) != mask.size(0):
        raise ValueError(f'{caller}: {len(frame_inds)} frame indices '
                         f'for {mask.size(0)} masks.')
    inds = np.asarray(frame_inds)
    if np.any(np.diff(inds) <= 0):
        raise ValueError(f'{caller}: frame indices must increase, got '
                         f'{list(frame_inds)}.')
    return inds


def temporal_max(mask: torch.Tensor, frame_inds: Sequence[int],
                 window: int) -> torch.Tensor:
    """Union of a mask over the frames within a temporal window.

    The "tube" of the target: where it was and will be around each frame,
    so its motion path is visible to a per-frame head. The window counts
    video frames, not clip positions, so a training clip sampled every 2
    frames and a test video sampled every frame see the same span.

    Args:
        mask (Tensor): (T, 1, H, W) values in [0, 1].
        frame_inds (Sequence[int]): the video frame index of each of the T
            masks, increasing.
        window (int): span in video frames (odd, >= 1); frame ``i`` takes
            the maximum over frames ``j`` with
            ``|f_j - f_i| <= window // 2``.

    Returns:
        Tensor: (T, 1, H, W).
    """
    inds = clip_frame_indices('temporal_max', mask, frame_inds)
    if window < 1 or window % 2 == 0:
        raise ValueError(f'temporal_max window must be odd and >= 1, got '
                         f'{window}.')
    half = window // 2
    lo = np.searchsorted(inds, inds - half, side='left')
    hi = np.searchsorted(inds, inds + half, side='right')
    return torch.stack([mask[a:b].amax(dim=0) for a, b in zip(lo, hi)])


def past_frames(mask: torch.Tensor, frame_inds: Sequence[int],
                delay: int) -> torch.Tensor:
    """The mask ``delay`` video frames earlier: where the object came from.

    Frame ``i`` takes the mask of the latest frame ``j`` of the clip with
    ``f_j <= f_i - delay``; frames with no such frame (the start of the
    clip) take the clip's first frame. Counted in video frames, so a
    training clip sampled every 2 frames and a test video sampled every
    frame see the same displacement.

    Args:
        mask (Tensor): (T, 1, H, W) values in [0, 1].
        frame_inds (Sequence[int]): the video frame index of each of the T
            masks, increasing.
        delay (int): frames back (>= 1).

    Returns:
        Tensor: (T, 1, H, W).
    """
    inds = clip_frame_indices('past_frames', mask, frame_inds)
    if delay < 1:
        raise ValueError(f'past_frames delay must be >= 1, got {delay}.')
    src = np.searchsorted(inds, inds - delay, side='right') - 1
    return mask[torch.as_tensor(np.maximum(src, 0), device=mask.device)]
