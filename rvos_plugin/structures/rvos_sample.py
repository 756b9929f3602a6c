"""Helpers over mmdet ``TrackDataSample`` for RVOS (docs/data_contract.md §3).

A packed RVOS sample is a ``TrackDataSample`` whose ``video_data_samples``
hold one ``DetDataSample`` per sampled frame; per-frame masks are
``PixelData(data=(1, H, W))`` fields such as ``gt_mask``, ``gt_target_mask``,
``pred_mask`` and ``pred_target_mask``.
"""
from typing import Optional

import torch
from mmengine.structures import PixelData


def get_frames(track_sample) -> list:
    """Per-frame samples of a TrackDataSample or of its ``to_dict()``."""
    if isinstance(track_sample, dict):
        # ``TrackDataSample.to_dict()`` names the field after the private
        # attribute when it was set with ``set_field(..., '_video_data_samples')``
        # (PackRVOSInputs does, to skip the setter's slow f-string).
        if 'video_data_samples' in track_sample:
            return track_sample['video_data_samples']
        return track_sample['_video_data_samples']
    return track_sample.video_data_samples


def _field(frame, key: str):
    if isinstance(frame, dict):
        return frame.get(key)
    return frame.get(key, None)


def has_frame_masks(track_sample, key: str) -> bool:
    """Whether every frame of the sample carries the mask field ``key``."""
    frames = get_frames(track_sample)
    return len(frames) > 0 and all(_field(f, key) is not None for f in frames)


def stack_frame_masks(track_sample, key: str) -> torch.Tensor:
    """Stack a per-frame mask field into one tensor.

    Args:
        track_sample (TrackDataSample | dict): A packed sample.
        key (str): Field name, e.g. ``'gt_mask'`` or ``'pred_mask'``.

    Returns:
        Tensor: (T, H, W) masks, dtype of the stored data.
    """
    masks = []
    for index, frame in enumerate(get_frames(track_sample)):
        value = _field(frame, key)
        if value is None:
            raise KeyError(f'frame {index} of the sample has no {key!r}.')
        data = value['data'] if isinstance(value, dict) else value.data
        masks.append(torch.as_tensor(data)[0])
    return torch.stack(masks)


def set_frame_masks(track_sample,
                    key: str,
                    masks: torch.Tensor,
                    scores: Optional[torch.Tensor] = None) -> None:
    """Write (T, H, W) masks into the per-frame field ``key``.

    Args:
        track_sample (TrackDataSample): The sample to update in place.
        key (str): Field name, e.g. ``'pred_mask'``.
        masks (Tensor): (T, H, W) masks, one per sampled frame.
        scores (Tensor, optional): (T,) per-frame scores, stored in the
            PixelData metainfo as ``score``.
    """
    frames = track_sample.video_data_samples
    if masks.shape[0] != len(frames):
        raise ValueError(f'{masks.shape[0]} masks for {len(frames)} frames.')
    for index, frame in enumerate(frames):
        meta = {} if scores is None else dict(score=float(scores[index]))
        frame.set_field(PixelData(data=masks[index][None], metainfo=meta),
                        key)


def mask_scores(probs: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Per-frame confidence of predicted masks.

    The score of a frame is the mean foreground probability over the pixels
    of its predicted mask, 0 for an empty mask (what
    ``rvos_plugin.apis.RVOSInferencer`` reports as ``scores``).

    Args:
        probs (Tensor): (T, H, W) foreground probabilities in [0, 1].
        masks (Tensor): (T, H, W) bool masks thresholded from ``probs``.

    Returns:
        Tensor: (T,) float scores.
    """
    masks = masks.to(probs.dtype)
    area = masks.flatten(1).sum(1)
    total = (probs * masks).flatten(1).sum(1)
    return torch.where(area > 0, total / area.clamp(min=1),
                       torch.zeros_like(total))
