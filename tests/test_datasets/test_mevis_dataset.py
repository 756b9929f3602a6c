import json
import os.path as osp

import numpy as np
import pytest

import rvos_plugin  # noqa: F401
from rvos_plugin.datasets import RVOSAnnotationError, RVOSMeViSDataset
from rvos_plugin.datasets.transforms import RVOSDataError
from rvos_plugin.structures import stack_frame_masks
from rvos_plugin.testing import make_mevis_fixture

TRAIN_PIPELINE = [
    dict(type='RVOSFrameSample', num_frames=3, interval=2),
    dict(type='LoadRVOSFrames'),
    dict(type='LoadRVOSMasks'),
    dict(type='RVOSResize', scale=(16, 12)),
    dict(type='RVOSRandomFlip', prob=0.0),
    dict(type='PackRVOSInputs'),
]
TEST_PIPELINE = [
    dict(type='RVOSFrameSample', test_mode=True),
    dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', scale=(16, 12)),
    dict(type='LoadRVOSMasks'),
    dict(type='PackRVOSInputs'),
]


def _dataset(root, pipeline=TEST_PIPELINE, **kw):
    return RVOSMeViSDataset(
        data_root=str(root), split='train', pipeline=pipeline, **kw)


def test_data_list_keys_and_roles(tmp_path):
    make_mevis_fixture(str(tmp_path))
    ds = _dataset(tmp_path)
    assert len(ds) == 6
    info = ds.get_data_info(2)
    assert info['video_id'] == 'video0' and info['exp_id'] == '2'
    assert info['caption_type'] == 'unidirectional'
    assert info['anno_ids'] == [1] and info['target_anno_ids'] == [2]
    assert info['has_target'] is True
    assert ds.get_data_info(1)['anno_ids'] == [1, 2]
    assert ds.get_data_info(1)['has_target'] is False
    assert len(info['frame_names']) == 5


def test_test_pipeline_masks_at_original_size(tmp_path):
    truth = make_mevis_fixture(str(tmp_path), size=(24, 32))
    ds = _dataset(tmp_path)
    out = ds[1]  # video0, both boxes
    assert tuple(out['inputs'].shape) == (5, 3, 12, 16)
    sample = out['data_samples']
    gt = stack_frame_masks(sample, 'gt_mask').numpy()
    assert gt.shape == (5, 24, 32)
    expected = np.stack([a | b for a, b in zip(truth[1], truth[2])])
    np.testing.assert_array_equal(gt, expected)
    # the blue box is absent in the last frame: union = red only
    np.testing.assert_array_equal(gt[-1], truth[1][-1])
    assert sample.metainfo['expression'] == 'the two boxes'
    assert sample.metainfo['frame_names'] == [f'{i:05d}' for i in range(5)]


def test_target_mask_and_train_clip(tmp_path):
    truth = make_mevis_fixture(str(tmp_path))
    ds = _dataset(tmp_path, TRAIN_PIPELINE)
    out = ds[2]
    sample = out['data_samples']
    assert tuple(out['inputs'].shape) == (3, 3, 12, 16)
    inds = sample.metainfo['frame_inds']
    assert inds == sorted(inds) and len(inds) == 3
    tgt = stack_frame_masks(sample, 'gt_target_mask').numpy()
    assert tgt.shape == (3, 12, 16) and tgt.max() == 1
    assert sample.metainfo['has_target'] is True


def test_mp4_backend_matches_frames(tmp_path):
    make_mevis_fixture(str(tmp_path), write_mp4=True, size=(32, 64))
    pipe = [
        dict(type='RVOSFrameSample', test_mode=True),
        dict(type='LoadRVOSFrames', backend='decord'),
        dict(type='PackRVOSInputs')
    ]
    ds = _dataset(tmp_path, pipe, video_dir='videos')
    out = ds[0]
    assert tuple(out["inputs"].shape) == (5, 3, 32, 64)
    frames_ds = _dataset(tmp_path, [
        dict(type='RVOSFrameSample', test_mode=True),
        dict(type='LoadRVOSFrames', backend='frames'),
        dict(type='PackRVOSInputs')
    ])
    diff = (out['inputs'].float() - frames_ds[0]['inputs'].float()).abs()
    assert diff.mean() < 12  # lossy mp4v vs JPEG of the same frames


def test_missing_frame_names_file(tmp_path):
    make_mevis_fixture(str(tmp_path))
    missing = osp.join(tmp_path, 'train', 'JPEGImages', 'video0', '00003.jpg')
    import os
    os.remove(missing)
    ds = _dataset(tmp_path)
    with pytest.raises(RVOSDataError, match='00003.jpg'):
        ds[0]


def test_corrupt_frame_and_corrupt_mp4(tmp_path):
    make_mevis_fixture(str(tmp_path), write_mp4=True)
    frame = osp.join(tmp_path, 'train', 'JPEGImages', 'video0', '00001.jpg')
    with open(frame, 'wb') as f:
        f.write(b'not a jpeg')
    with pytest.raises(RVOSDataError, match='00001.jpg'):
        _dataset(tmp_path)[0]
    video = osp.join(tmp_path, 'train', 'videos', 'video1.mp4')
    with open(video, 'wb') as f:
        f.write(b'\x00' * 100)
    pipe = [
        dict(type='RVOSFrameSample', test_mode=True),
        dict(type='LoadRVOSFrames', backend='decord'),
    ]
    ds = _dataset(tmp_path, pipe, video_dir='videos')
    with pytest.raises(RVOSDataError, match='video1.mp4'):
        ds[3]


def _rewrite(path, fn):
    with open(path) as f:
        data = json.load(f)
    fn(data)
    with open(path, 'w') as f:
        json.dump(data, f)


def test_malformed_meta_expressions(tmp_path):
    make_mevis_fixture(str(tmp_path))
    meta = osp.join(tmp_path, 'train', 'meta_expressions.json')
    _rewrite(meta, lambda d: d['videos']['video1']['expressions']['1'].pop(
        'exp'))
    with pytest.raises(RVOSAnnotationError, match="video1.*expression '1'"):
        _dataset(tmp_path)
    with open(meta, 'w') as f:
        f.write('{"videos": ')
    with pytest.raises(RVOSAnnotationError, match='meta_expressions.json'):
        _dataset(tmp_path)


def test_empty_expression(tmp_path):
    make_mevis_fixture(str(tmp_path))
    meta = osp.join(tmp_path, 'train', 'meta_expressions.json')
    _rewrite(meta, lambda d: d['videos']['video0']['expressions']['0'].update(
        exp='   '))
    with pytest.raises(RVOSAnnotationError, match='empty expression'):
        _dataset(tmp_path)


def test_malformed_mask_dict(tmp_path):
    make_mevis_fixture(str(tmp_path))
    masks = osp.join(tmp_path, 'train', 'mask_dict.json')
    _rewrite(masks, lambda d: d.pop('12'))
    with pytest.raises(RVOSAnnotationError, match='anno id 12'):
        _dataset(tmp_path)
    make_mevis_fixture(str(tmp_path))
    _rewrite(masks, lambda d: d['1'].pop())
    with pytest.raises(RVOSAnnotationError, match='anno id 1 has 4 masks'):
        _dataset(tmp_path)


def test_wrong_mask_size(tmp_path):
    make_mevis_fixture(str(tmp_path))
    masks = osp.join(tmp_path, 'train', 'mask_dict.json')
    from rvos_plugin.testing import encode_rle
    _rewrite(masks, lambda d: d['1'].__setitem__(
        0, encode_rle(np.ones((10, 10), np.uint8))))
    with pytest.raises(RVOSDataError, match='RLE size'):
        _dataset(tmp_path)[0]


def test_split_without_masks(tmp_path):
    make_mevis_fixture(str(tmp_path), with_masks=False)
    pipe = [
        dict(type='RVOSFrameSample', test_mode=True),
        dict(type='LoadRVOSFrames'),
        dict(type='PackRVOSInputs')
    ]
    ds = _dataset(tmp_path, pipe, mask_file=None)
    out = ds[0]
    assert out['data_samples'].video_data_samples[0].get('gt_mask') is None
