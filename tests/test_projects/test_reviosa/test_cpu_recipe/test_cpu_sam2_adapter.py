"""ReVIOsACPUSAM2 CPU-scale options: frozen EfficientNet-Lite0 image encoder
(``image_encoder='efficientnet_lite0'``) and the FiLM dense prompt
(``dense_prompt='film'``); the CPU configs use them, real configs do not."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from reviosa_tiny import REPO, TINY_SAM2, tiny_recipe_cfg

from projects.ReVIOsA.reviosa.cpu_recipe.sam2_adapter import (
    IMAGENET_MEAN, IMAGENET_STD, ReVIOsACPUSAM2)
from rvos_plugin.registry import MODELS


@pytest.fixture(scope='module')
def lite_sam():
    torch.manual_seed(0)
    return ReVIOsACPUSAM2(**dict(TINY_SAM2, image_encoder='efficientnet_lite0',
                              dense_prompt='film'))


def test_lite_encoder_features_frozen_and_projections_train(lite_sam):
    sam = lite_sam
    sam.train()
    assert not sam.lite.training  # frozen BN statistics
    assert not any(p.requires_grad for p in sam.lite.parameters())
    feats = sam.encode(torch.randn(3, 3, 20, 30))
    s = sam.image_size
    assert feats['feat_sizes'] == [(s // 4, s // 4), (s // 8, s // 8),
                                   (s // 16, s // 16)]
    assert feats['vision_feats'][-1].shape == (
        (s // 16)**2, 3, sam.hidden_dim)
    prompt = torch.randn(3, 1, sam.hidden_dim, requires_grad=True)
    low = sam.segment_frames(feats, prompt)
    assert low.shape == (3, 1, s // 4, s // 4)
    low.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in sam.lite_proj.parameters())
    assert all(p.grad is None for p in sam.lite.parameters())
    assert prompt.grad.abs().sum() > 0
    sam.zero_grad()


def test_lite_input_renormalisation(lite_sam, monkeypatch):
    """ImageNet-normalised 0-255 RGB -> Lite0 input (x / 255 - 0.5) / 0.5:
    255 -> 1, 0 -> -1, 127.5 -> 0 (hand-computed)."""
    rgb = torch.tensor([255.0, 0.0, 127.5]).view(1, 3, 1, 1).expand(
        1, 3, 4, 4)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    seen = {}
    real_forward = lite_sam.lite.forward

    def spy(x):
        seen['x'] = x
        return real_forward(x)

    monkeypatch.setattr(lite_sam.lite, 'forward', spy)
    lite_sam._lite_backbone((rgb - mean) / std)
    expected = torch.tensor([1.0, -1.0, 0.0]).view(1, 3, 1, 1).expand(
        1, 3, 4, 4)
    torch.testing.assert_close(seen['x'], expected, atol=1e-5, rtol=0)


def test_film_starts_as_identity_then_conditions_the_image(lite_sam):
    sam = lite_sam
    sam.eval()
    feats = sam.encode(torch.randn(2, 3, 16, 16))
    prompt = torch.randn(2, 1, sam.hidden_dim)
    with_film = sam.segment_frames(feats, prompt)
    sam.dense_prompt = None
    try:
        without = sam.segment_frames(feats, prompt)
    finally:
        sam.dense_prompt = 'film'
    torch.testing.assert_close(with_film, without)  # zero-init FiLM
    proj = sam.prompt_film.proj
    saved = proj.weight.detach().clone()
    with torch.no_grad():
        proj.weight.normal_(std=0.1)
    try:
        assert not torch.allclose(sam.segment_frames(feats, prompt),
                                  without, atol=1e-4)
        # the dense path alone already separates two prompts
        a = sam.prompt_film(torch.ones(1, sam.hidden_dim, 2, 2),
                            torch.zeros(1, sam.hidden_dim))
        b = sam.prompt_film(torch.ones(1, sam.hidden_dim, 2, 2),
                            torch.ones(1, sam.hidden_dim))
        assert not torch.allclose(a, b)
    finally:
        with torch.no_grad():
            proj.weight.copy_(saved)


def test_lite_propagate(lite_sam):
    lite_sam.eval()
    out = lite_sam.propagate(torch.randn(4, 3, 16, 20),
                             torch.randn(1, 1, lite_sam.hidden_dim),
                             cond_frames=[1], out_size=(16, 20), chunk=3)
    assert out.shape == (4, 16, 20) and torch.isfinite(out).all()


def test_bad_options_and_missing_weights_raise(tmp_path):
    with pytest.raises(ValueError, match='image_encoder'):
        ReVIOsACPUSAM2(**dict(TINY_SAM2, image_encoder='resnet'))
    with pytest.raises(ValueError, match='dense_prompt'):
        ReVIOsACPUSAM2(**dict(TINY_SAM2, dense_prompt='add'))
    missing = str(tmp_path / 'lite0.pth')
    with pytest.raises(FileNotFoundError, match='lite0.pth'):
        ReVIOsACPUSAM2(**dict(TINY_SAM2, image_encoder='efficientnet_lite0',
                           encoder_pretrained=missing))


def test_unfrozen_hiera_really_trains():
    """``freeze_image_encoder=False`` makes the Hiera trunk trainable in
    ReVIOsA (it used to be re-frozen with the rest of SAM2)."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=dict(TINY_SAM2, freeze_image_encoder=False)))
    enc = model.sam2.sam.image_encoder
    assert all(p.requires_grad for p in enc.parameters())
    frozen = MODELS.build(tiny_recipe_cfg())
    assert not any(p.requires_grad
                   for p in frozen.sam2.sam.image_encoder.parameters())


def test_cpu_configs_use_the_options_real_configs_do_not():
    cpu = Config.fromfile(osp.join(
        REPO, 'configs', 'reviosa',
        'reviosa_tiny-internvl_tiny-sam2_cpu_synthetic.py'))
    assert cpu.model.sam2.image_encoder == 'efficientnet_lite0'
    assert cpu.model.sam2.dense_prompt == 'film'
    types = {m['type']: m.get('prefix') for m in cpu.val_evaluator}
    # prefixed: its Referring/... keys must not collide with RVOSJFMetric's
    assert types == {'RVOSJFMetric': None,
                     'ReVIOsAActorTargetMetric': 'reviosa'}
    real = Config.fromfile(osp.join(
        REPO, 'configs', 'reviosa',
        'reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'))
    assert 'image_encoder' not in real.model.sam2
    assert 'dense_prompt' not in real.model.sam2
