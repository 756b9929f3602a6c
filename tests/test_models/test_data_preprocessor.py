import torch

from rvos_plugin.models.data_preprocessors import RVOSDataPreprocessor
from rvos_plugin.structures import stack_frame_masks
from rvos_plugin.testing import demo_rvos_batch


def test_normalise_pad_and_stack():
    batch = demo_rvos_batch(batch_size=2, num_frames=3, size=(10, 12))
    batch['inputs'][1] = batch['inputs'][1][..., :8, :9]
    from mmengine.structures import PixelData
    for f in batch['data_samples'][1].video_data_samples:
        f.gt_mask = PixelData(data=f.gt_mask.data[..., :8, :9])
    pre = RVOSDataPreprocessor(mean=(10, 20, 30), std=(2, 2, 2),
                               pad_size_divisor=4)
    raw0 = batch['inputs'][0].clone()
    out = pre(batch, training=True)
    x = out['inputs']
    assert x.shape == (2, 3, 3, 12, 12)
    expected = (raw0[0, 1].float() - 20) / 2
    assert torch.allclose(x[0, 0, 1, :10, :12], expected)
    assert (x[1, :, :, 8:, :] == 0).all() and (x[1, :, :, :, 9:] == 0).all()
    sample = out['data_samples'][1]
    assert sample.metainfo['batch_input_shape'] == (12, 12)
    assert stack_frame_masks(sample, 'gt_mask').shape == (3, 12, 12)


def test_clips_of_different_length_rejected():
    batch = demo_rvos_batch(batch_size=2, num_frames=3)
    batch['inputs'][1] = batch['inputs'][1][:2]
    import pytest
    with pytest.raises(ValueError, match='same number of frames'):
        RVOSDataPreprocessor()(batch)
