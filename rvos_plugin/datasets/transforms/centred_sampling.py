"""Clip window centred on an annotated frame (A2D/JHMDB-Sentences)."""
from typing import List

from mmcv.transforms import BaseTransform

from rvos_plugin.registry import TRANSFORMS


def centred_window(annotated_index: int, window: int,
                   num_video_frames: int, interval: int = 1) -> List[int]:
    """Frame indices of a window centred on an annotated frame.

    MTTR/ReferFormer A2D protocol (``interval=1``): for the 1-indexed
    annotated frame ``f`` (0-indexed ``i = f - 1``) the window is
    ``[i - w//2, i + (w+1)//2)``. With ``interval=s`` the window keeps the
    same slots ``s`` frames apart, ``i + s * (k - w//2)`` for ``k < w``
    (WSRVOS Sec. 4.2: T = 4 frames at 10-frame intervals). Each index is
    clamped to ``[0, num_video_frames - 1]`` (edge frames repeat), so the
    annotated frame sits at position ``w // 2``.

    Args:
        annotated_index (int): 0-indexed annotated frame ``f - 1``.
        window (int): Window length w (> 0).
        num_video_frames (int): Frames in the video.
        interval (int): Step between window frames (>= 1).

    Returns:
        list[int]: w indices.
    """
    if window <= 0 or num_video_frames <= 0 or interval <= 0:
        raise ValueError('window, interval and num_video_frames must be '
                         'positive')
    if not 0 <= annotated_index < num_video_frames:
        raise ValueError(
            f'annotated frame index {annotated_index} outside the video '
            f'(0..{num_video_frames - 1})')
    return [min(max(annotated_index + interval * (k - window // 2), 0),
                num_video_frames - 1) for k in range(window)]


@TRANSFORMS.register_module()
class RVOSCentredFrameSample(BaseTransform):
    """Sample the window centred on ``annotated_frame_ind``.

    Used for train and test alike by the A2D/JHMDB protocols (only the
    centre frame has a target).

    Required Keys:

    - frame_names
    - annotated_frame_ind (int, 0-indexed)

    Added Keys:

    - frame_inds (list[int])
    - num_video_frames (int)
    - annotated_position (int): position of the annotated frame in the clip

    Args:
        num_frames (int): Window length w.
        interval (int): Step between window frames (1 = consecutive, the
            MTTR/ReferFormer protocol and the WSRVOS released code; 10 =
            WSRVOS Sec. 4.2).
    """

    def __init__(self, num_frames: int = 8, interval: int = 1):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.num_frames = num_frames
        self.interval = interval

    def transform(self, results: dict) -> dict:
        total = len(results['frame_names'])
        results['frame_inds'] = centred_window(
            results['annotated_frame_ind'], self.num_frames, total,
            self.interval)
        results['num_video_frames'] = total
        results['annotated_position'] = self.num_frames // 2
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'interval={self.interval})')
