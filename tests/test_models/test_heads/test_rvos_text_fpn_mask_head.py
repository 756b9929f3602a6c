import pytest
import torch

from rvos_plugin.registry import MODELS


def _head(**kwargs):
    cfg = dict(type='RVOSTextFPNMaskHead', in_channels=(8, 16, 32),
               text_dims=12, channels=16, attn_levels=(1, 2),
               temporal_levels=(1, 2), num_heads=2, num_groups=4)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _inputs(b=2, t=3):
    feats = [torch.randn(b * t, 8, 16, 16), torch.randn(b * t, 16, 8, 8),
             torch.randn(b * t, 32, 4, 4)]
    text = dict(hidden=torch.randn(b, 5, 12),
                mask=torch.tensor([[1, 1, 1, 0, 0]] * b).bool(),
                pooled=torch.randn(b, 12))
    return feats, text


def test_forward_shape_and_text_dependence():
    torch.manual_seed(0)
    head = _head()
    for p in head.parameters():  # leave the zero-init identity start
        if p.dim() > 1:
            torch.nn.init.normal_(p, std=0.2)
    feats, text = _inputs()
    logits = head(feats, text, num_frames=3)
    assert logits.shape == (6, 1, 16, 16)
    other = dict(text, pooled=torch.randn(2, 12))
    assert not torch.allclose(head(feats, other, num_frames=3), logits)


def test_loss_keys_values_and_grad():
    head = _head()
    logits = torch.zeros(2, 3, 8, 8, requires_grad=True)
    gt = torch.zeros(2, 3, 8, 8)
    gt[:, :, 2:4, 2:4] = 1
    losses = head.loss(logits, gt)
    assert set(losses) == {'loss_mask_bce', 'loss_mask_dice'}
    assert losses['loss_mask_bce'].item() == pytest.approx(
        torch.log(torch.tensor(2.0)).item(), rel=1e-5)
    sum(losses.values()).backward()
    assert logits.grad.abs().sum() > 0


def test_bad_levels_raise():
    with pytest.raises(ValueError, match='attn_levels'):
        _head(attn_levels=(3, ))
    with pytest.raises(ValueError, match='temporal_levels'):
        _head(temporal_levels=(5, ))
    feats, text = _inputs()
    with pytest.raises(ValueError, match='out_indices'):
        _head()(feats[:2], text, num_frames=3)
