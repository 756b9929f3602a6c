"""Speed-ups of the pipeline give the same values as the plain numpy ops."""
import numpy as np
import pytest
import torch

from rvos_plugin.datasets.transforms import RVOSRandomFlip, RVOSResize
from rvos_plugin.datasets.transforms.file_masks import (RVOSDataError,
                                                        palette_object_masks,
                                                        read_palette_png)
from rvos_plugin.datasets.transforms.formatting import (PackRVOSInputs,
                                                        frames_to_chw)
from rvos_plugin.datasets.transforms.loading import read_frame
from rvos_plugin.testing.official_formats import write_palette_png


def test_frames_to_chw_equals_stack_transpose():
    rng = np.random.RandomState(0)
    imgs = [rng.randint(0, 256, (5, 7, 3)).astype(np.uint8) for _ in range(3)]
    out = frames_to_chw(imgs)
    assert out.flags.c_contiguous and out.shape == (3, 3, 5, 7)
    np.testing.assert_array_equal(out, np.stack(imgs).transpose(0, 3, 1, 2))
    # a non-contiguous (flipped view) input too
    np.testing.assert_array_equal(
        frames_to_chw([imgs[0][:, ::-1]]), imgs[0][None, :, ::-1]
        .transpose(0, 3, 1, 2))


def test_pack_inputs_and_frames_unchanged():
    rng = np.random.RandomState(1)
    imgs = [rng.randint(0, 256, (4, 6, 3)).astype(np.uint8) for _ in range(2)]
    masks = rng.randint(0, 2, (2, 4, 6)).astype(np.uint8)
    out = PackRVOSInputs().transform(dict(
        imgs=imgs, frame_inds=[3, 5], frame_names=[f'{i}' for i in range(6)],
        img_shape=(4, 6), ori_shape=(4, 6), gt_masks=masks,
        gt_target_masks=masks * 0, video_id='v', exp_id='0',
        expression='a cat'))
    assert out['inputs'].is_contiguous()
    assert torch.equal(out['inputs'], torch.from_numpy(
        np.stack(imgs)).permute(0, 3, 1, 2))
    frames = out['data_samples'].video_data_samples
    assert [f.frame_id for f in frames] == [3, 5]
    assert [f.frame_name for f in frames] == ['3', '5']
    np.testing.assert_array_equal(frames[1].gt_mask.data[0].numpy(), masks[1])


def test_palette_masks_lookup_matches_isin(tmp_path):
    rng = np.random.RandomState(2)
    index_map = rng.choice([0, 1, 2, 5, 255], size=(9, 11)).astype(np.uint8)
    union, void = palette_object_masks(index_map, [2, 5], [1, 2, 5], 'x.png',
                                       void_value=255)
    np.testing.assert_array_equal(union, np.isin(index_map, [2, 5]))
    np.testing.assert_array_equal(void, index_map == 255)
    assert union.dtype == np.uint8 and void.dtype == np.uint8
    empty, none = palette_object_masks(index_map, [], None, 'x.png')
    assert empty.shape == (9, 11) and empty.sum() == 0 and none is None
    with pytest.raises(RVOSDataError, match=r"'x.png'.*\[5\]"):
        palette_object_masks(index_map, [2], [1, 2], 'x.png', void_value=255)
    # PIL returns the palette indices (cv2.IMREAD_UNCHANGED gives colours)
    write_palette_png(str(tmp_path / 'm.png'), index_map)
    np.testing.assert_array_equal(read_palette_png(str(tmp_path / 'm.png')),
                                  index_map)


def test_read_frame_is_rgb(tmp_path):
    import cv2
    bgr = np.zeros((4, 4, 3), np.uint8)
    bgr[..., 0] = 255  # blue in BGR order
    cv2.imwrite(str(tmp_path / 'f.png'), bgr)
    rgb = read_frame(str(tmp_path / 'f.png'))
    assert rgb[0, 0].tolist() == [0, 0, 255]


def test_void_masks_follow_resize_and_flip():
    void = np.zeros((1, 4, 6), np.uint8)
    void[0, :, 0] = 1  # left column
    results = dict(imgs=[np.zeros((4, 6, 3), np.uint8)], img_shape=(4, 6),
                   ori_shape=(4, 6), gt_masks=void * 0, gt_void_masks=void,
                   expression='the left dog')
    results = RVOSResize(scale=(12, 8)).transform(results)
    assert results['gt_void_masks'].shape == (1, 8, 12)
    results = RVOSRandomFlip(prob=1.0).transform(results)
    flipped = results['gt_void_masks'][0]
    assert flipped[:, -2:].all() and flipped[:, :-2].sum() == 0
    assert results['expression'] == 'the right dog'
