import math

import pytest
import torch

from rvos_plugin.models.losses.sigmoid_bce_loss import sigmoid_bce_loss
from rvos_plugin.registry import MODELS


def test_bce_hand_case():
    # logit 0 -> p = .5 -> log 2 for either target; logit log(3) -> p = .75.
    pred = torch.tensor([[0.0, math.log(3.0)]])
    target = torch.tensor([[1.0, 0.0]])
    out = sigmoid_bce_loss(pred, target, reduction='none')
    torch.testing.assert_close(
        out, torch.tensor([[math.log(2.0), -math.log(0.25)]]))


def test_pos_weight_and_module_loss_weight():
    pred = torch.tensor([[0.0, 0.0]])
    target = torch.tensor([[1.0, 0.0]])
    module = MODELS.build(dict(type='RVOSSigmoidBCELoss', loss_weight=3.0,
                               pos_weight=2.0))
    # mean of (2 log 2, log 2) = 1.5 log 2, times 3.
    assert module(pred, target).item() == pytest.approx(4.5 * math.log(2.0))


def test_bce_shape_mismatch_raises():
    with pytest.raises(ValueError, match='same shape'):
        sigmoid_bce_loss(torch.zeros(1, 3), torch.zeros(1, 4))
