import math

import torch
from reviosa_tiny import REPO  # noqa: F401

from projects.ReVIOsA.reviosa.losses import (attention_map_loss,
                                             mask_losses, point_sample)


def test_mask_losses_hand_computed():
    # one 1x2 mask: logits (0, 0) -> p = 0.5 everywhere, gt (1, 0)
    logits = torch.zeros(1, 1, 2)
    gt = torch.tensor([[[1.0, 0.0]]])
    bce, dice = mask_losses(logits, gt, bce_weight=2.0, dice_weight=0.5,
                            dice_eps=1.0)
    # BCE = log 2 per pixel; Dice = 1 - (2*0.5 + 1) / (1 + 1 + 1) = 1/3
    assert math.isclose(bce.item(), 2.0 * math.log(2), rel_tol=1e-6)
    assert math.isclose(dice.item(), 0.5 * (1 - 2 / 3), rel_tol=1e-6)


def test_point_sampled_losses_match_dense_on_constant_maps():
    logits = torch.full((2, 8, 8), 3.0)
    gt = torch.ones(2, 8, 8)
    bce_d, dice_d = mask_losses(logits, gt)
    bce_p, dice_p = mask_losses(logits, gt, num_points=20)
    assert torch.allclose(bce_d, bce_p, atol=1e-6)
    assert bce_p.shape == (2, )


def test_point_sample_center():
    x = torch.arange(4.0).view(1, 1, 2, 2)
    # pixel centres of a 2x2 map are at 0.25 / 0.75
    v = point_sample(x, torch.tensor([[[0.25, 0.25], [0.75, 0.75]]]))
    assert v.tolist() == [[[0.0, 3.0]]]


def test_attention_map_loss_hand_computed():
    # 1 frame, 2x2 token grid; attention max-normalised -> (1, .5, .5, .5)
    attn = torch.tensor([[0.4, 0.2, 0.2, 0.2]])
    gt = torch.zeros(1, 4, 4)
    gt[0, :2, :2] = 1  # top-left token is foreground
    expected = -(math.log(1 - 1e-6) + 3 * math.log(0.5)) / 4
    assert math.isclose(attention_map_loss(attn, gt).item(), expected,
                        rel_tol=1e-5)


def test_point_sampled_losses_follow_the_sample_seed():
    """The released point loss draws its points from the sample's own
    generator (seed, iteration, sample_idx): the same points on any rank."""
    from mmengine.structures import BaseDataElement

    from projects.ReVIOsA.reviosa.losses import point_seed
    from rvos_plugin.utils import sample_rng as srng
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 16, 16, generator=g)
    gt = (torch.rand(2, 16, 16, generator=g) > 0.5).float()
    sample = BaseDataElement(metainfo=dict(sample_idx=4))
    assert point_seed(sample, 'act') is None  # no round: global generator
    srng.set_sampling_round(0, 3)
    try:
        seed = point_seed(sample, 'act')
        assert seed == point_seed(sample, 'act') != point_seed(sample, 'tar')
        other = point_seed(BaseDataElement(metainfo=dict(sample_idx=5)), 'act')
    finally:
        srng.clear_sampling_round()
    torch.manual_seed(1)
    a = mask_losses(logits, gt, num_points=20, seed=seed)
    torch.manual_seed(2)  # another rank's global state
    b = mask_losses(logits, gt, num_points=20, seed=seed)
    c = mask_losses(logits, gt, num_points=20, seed=other)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
