"""Frame sampling for RVOS clips."""
from typing import List

import numpy as np
from mmcv.transforms import BaseTransform

from rvos_plugin.registry import TRANSFORMS
from rvos_plugin.utils.sample_rng import sample_np_rng


def sample_clip_indices(num_video_frames: int, num_frames: int,
                        interval: int, rng: np.random.RandomState) -> List[int]:
    """Sample ``num_frames`` indices ``interval`` apart at a random start.

    When the video is shorter than the clip span, the interval shrinks
    (down to 1) and, if still too short, the last frame repeats, so every
    clip has exactly ``num_frames`` sorted indices.

    Args:
        num_video_frames (int): Frames in the video (> 0).
        num_frames (int): Clip length T.
        interval (int): Step between sampled frames.
        rng (np.random.RandomState): Random source.

    Returns:
        list[int]: T frame indices in increasing order.
    """
    if num_video_frames <= 0:
        raise ValueError('cannot sample frames from an empty video')
    step = max(1, interval)
    while step > 1 and (num_frames - 1) * step + 1 > num_video_frames:
        step -= 1
    span = (num_frames - 1) * step + 1
    start = int(rng.randint(0, num_video_frames - span + 1)) \
        if span <= num_video_frames else 0
    return [min(start + k * step, num_video_frames - 1)
            for k in range(num_frames)]


@TRANSFORMS.register_module()
class RVOSFrameSample(BaseTransform):
    """Choose the frames of a clip (train) or all frames (test).

    Required Keys:

    - frame_names
    - sample_idx (optional: with ``RVOSEpochSeedHook``, the clip is drawn
      from a generator of (seed, iteration, sample_idx), the same on any
      split of the batch over ranks; ``rvos_plugin.utils.sample_rng``)

    Added Keys:

    - frame_inds (list[int])
    - num_video_frames (int)

    Args:
        num_frames (int): Clip length T for training.
        interval (int): Step between sampled training frames.
        interval_unit (str): ``'index'`` counts positions in
            ``frame_names``; ``'frame_number'`` counts video frames through
            the numeric frame names, for layouts that keep every n-th frame
            (Ref-YouTube-VOS lists ``00000, 00005, ...``: 10 video frames =
            2 listed frames, as the WSRVOS released code computes it).
        test_mode (bool): Take every frame of the video, in order.
        max_test_frames (int, optional): In test mode, cap the number of
            frames by uniform sub-sampling (None = all frames, as the
            official protocols require).
    """

    def __init__(self,
                 num_frames: int = 4,
                 interval: int = 1,
                 interval_unit: str = 'index',
                 test_mode: bool = False,
                 max_test_frames: int = None):
        if interval_unit not in ('index', 'frame_number'):
            raise ValueError("interval_unit must be 'index' or "
                             f"'frame_number', got {interval_unit!r}")
        self.num_frames = num_frames
        self.interval = interval
        self.interval_unit = interval_unit
        self.test_mode = test_mode
        self.max_test_frames = max_test_frames

    def transform(self, results: dict) -> dict:
        total = len(results['frame_names'])
        if self.test_mode:
            inds = list(range(total))
            if self.max_test_frames and total > self.max_test_frames:
                inds = np.linspace(0, total - 1,
                                   self.max_test_frames).round().astype(
                                       int).tolist()
        else:
            # per-sample generator: the same clip on any rank split
            rng = sample_np_rng(results.get('sample_idx'), 'frames')
            inds = sample_clip_indices(total, self.num_frames,
                                       self.listed_interval(results),
                                       np.random if rng is None else rng)
        results['frame_inds'] = inds
        results['num_video_frames'] = total
        return results

    def listed_interval(self, results: dict) -> int:
        """The interval in positions of ``frame_names``."""
        if self.interval_unit == 'index':
            return self.interval
        return listed_step(results['frame_names'], self.interval,
                           results.get('video_id'))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'interval={self.interval}, '
                f'interval_unit={self.interval_unit!r}, '
                f'test_mode={self.test_mode})')


def listed_step(frame_names: List[str], interval: int,
                video_id: str = None) -> int:
    """Positions of ``frame_names`` spanning ``interval`` video frames.

    ``round(interval / d)`` (at least 1) with ``d`` the smallest positive
    step between consecutive numeric frame names.

    Raises:
        ValueError: a frame name is not a number.
    """
    try:
        numbers = [int(n) for n in frame_names]
    except ValueError:
        raise ValueError(
            f'video {video_id!r}: interval_unit="frame_number" needs numeric '
            f'frame names, got {frame_names[:3]}...; use '
            'interval_unit="index".') from None
    steps = [b - a for a, b in zip(numbers, numbers[1:]) if b > a]
    if not steps:
        return 1
    return max(1, int(round(interval / min(steps))))
