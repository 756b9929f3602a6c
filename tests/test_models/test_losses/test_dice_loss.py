import pytest
import torch

from rvos_plugin.models.losses.dice_loss import RVOSDiceLoss, dice_loss
from rvos_plugin.models.losses.loss_reduction import weight_reduce_loss
from rvos_plugin.registry import MODELS


def test_dice_loss_hand_case_vnet_and_naive():
    # p = [1, .5, 0, 0], g = [1, 1, 0, 0]:  a = 1.5, sum p^2 = 1.25,
    # sum g^2 = 2, sum p = 1.5, sum g = 2.
    pred = torch.tensor([[1.0, 0.5, 0.0, 0.0]])
    target = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    vnet = dice_loss(pred, target, eps=0.0, reduction='none')
    torch.testing.assert_close(vnet, torch.tensor([1 - 3.0 / 3.25]))
    naive = dice_loss(pred, target, eps=0.0, naive_dice=True,
                      reduction='none')
    torch.testing.assert_close(naive, torch.tensor([1 - 3.0 / 3.5]))


def test_dice_loss_perfect_and_disjoint():
    target = torch.tensor([[0., 1., 1., 0.]])
    assert dice_loss(target, target, eps=0.0).item() == pytest.approx(0.0)
    assert dice_loss(1 - target, target, eps=0.0).item() == pytest.approx(1)


def test_weight_and_avg_factor():
    loss = torch.tensor([1.0, 3.0])
    weight = torch.tensor([1.0, 0.0])
    assert weight_reduce_loss(loss, weight).item() == pytest.approx(0.5)
    assert weight_reduce_loss(loss, avg_factor=4).item() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        weight_reduce_loss(loss, avg_factor=4, reduction='sum')
    with pytest.raises(ValueError):
        weight_reduce_loss(loss, reduction='max')


def test_module_applies_sigmoid_and_weight():
    module = MODELS.build(dict(type='RVOSDiceLoss', naive_dice=True,
                               eps=0.0, loss_weight=2.0))
    logits = torch.tensor([[0.0, 0.0]])  # sigmoid -> 0.5, 0.5
    target = torch.tensor([[1.0, 0.0]])
    # naive: 1 - 2 * 0.5 / (1 + 1) = 0.5, times loss_weight 2.
    assert module(logits, target).item() == pytest.approx(1.0)
    assert isinstance(module, RVOSDiceLoss)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match='same shape'):
        dice_loss(torch.zeros(2, 4), torch.zeros(2, 5))
