import numpy as np
import pytest

from rvos_plugin.datasets.transforms import (RVOSFrameSample, RVOSRandomFlip,
                                             RVOSResize, sample_clip_indices,
                                             swap_left_right)
from rvos_plugin.datasets.transforms.geometric import target_size


def test_swap_left_right_keeps_case_and_words():
    assert swap_left_right('the Left dog, right of the LEFT cat') == \
        'the Right dog, right of the RIGHT cat'.replace(
            'right of', 'left of')
    assert swap_left_right('leftmost car') == 'rightmost car'
    assert swap_left_right('a bright light') == 'a bright light'


def test_sample_clip_indices_interval_and_short_videos():
    rng = np.random.RandomState(0)
    inds = sample_clip_indices(100, 4, 10, rng)
    assert np.all(np.diff(inds) == 10) and 0 <= inds[0] <= 70
    # too short for interval 10: interval shrinks to 3 (3*3+1 = 10 frames)
    assert np.all(np.diff(sample_clip_indices(10, 4, 10, rng)) == 3)
    # shorter than T: the last frame repeats
    assert sample_clip_indices(2, 4, 5, rng) == [0, 1, 1, 1]
    with pytest.raises(ValueError):
        sample_clip_indices(0, 4, 1, rng)


def test_frame_sample_test_mode_takes_all():
    out = RVOSFrameSample(test_mode=True)(dict(frame_names=list('abcde')))
    assert out['frame_inds'] == [0, 1, 2, 3, 4]
    assert out['num_video_frames'] == 5
    out = RVOSFrameSample(test_mode=True, max_test_frames=3)(
        dict(frame_names=list('abcde')))
    assert out['frame_inds'] == [0, 2, 4]


def test_target_size_short_side_and_cap():
    assert target_size((360, 640), short_side=320) == (320, 569)
    assert target_size((100, 1000), short_side=320, max_size=640) == (64, 640)
    assert target_size((10, 20), scale=(8, 6)) == (6, 8)


def _clip(h=6, w=8, t=2):
    imgs = [np.arange(h * w * 3, dtype=np.uint8).reshape(h, w, 3)] * t
    masks = np.zeros((t, h, w), np.uint8)
    masks[:, :, :2] = 1  # left columns
    return dict(imgs=imgs, img_shape=(h, w), ori_shape=(h, w),
                gt_masks=masks, gt_target_masks=masks.copy(),
                expression='the cat on the left',
                positive_texts=['left cat'], negative_texts=['right cat'])


def test_flip_flips_pixels_masks_and_text():
    out = RVOSRandomFlip(prob=1.0)(_clip())
    assert out['flip'] is True
    assert out['gt_masks'][:, :, -2:].all() and not out['gt_masks'][:, :, :2].any()
    assert out['expression'] == 'the cat on the right'
    assert out['positive_texts'] == ['right cat']
    assert out['negative_texts'] == ['left cat']
    ref = _clip()['imgs'][0]
    np.testing.assert_array_equal(out['imgs'][0], ref[:, ::-1])
    kept = RVOSRandomFlip(prob=0.0)(_clip())
    assert kept['flip'] is False and kept['expression'] == 'the cat on the left'


def test_resize_frames_and_masks_consistently():
    out = RVOSResize(scale=(16, 12))(_clip())
    assert out['imgs'][0].shape == (12, 16, 3)
    assert out['gt_masks'].shape == (2, 12, 16)
    assert set(np.unique(out['gt_masks'])) <= {0, 1}
    assert out['gt_masks'][:, :, :4].all() and not out['gt_masks'][:, :, 4:].any()
    assert out['scale_factor'] == (2.0, 2.0)
