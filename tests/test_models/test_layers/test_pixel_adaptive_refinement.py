import math

import pytest
import torch

from rvos_plugin.models.layers.pixel_adaptive_refinement import (
    PixelAdaptiveRefinement, dilated_neighbours, par_affinity)
from rvos_plugin.registry import MODELS


def test_dilated_neighbours_replicate_padding():
    x = torch.arange(9.).reshape(1, 1, 3, 3)
    nb = dilated_neighbours(x, (1, ))
    assert nb.shape == (1, 8, 1, 3, 3)
    # neighbours of the top-left pixel (0, 0), offsets in reading order,
    # outside positions replicated from the border
    assert nb[0, :, 0, 0, 0].tolist() == [0, 0, 1, 0, 1, 3, 3, 4]
    # the centre's neighbours are the 8 others
    assert sorted(nb[0, :, 0, 1, 1].tolist()) == [0, 1, 2, 3, 5, 6, 7, 8]


def test_hand_computed_case_uniform_image_delta_map():
    """Uniform image: every colour weight is 1/8. The positional prior at
    distances 1 (x4) and sqrt(2) (x4): std of the 8 distances = 0.22140, so
    -(d / (0.2214 * 0.3))^2 is -226.7 vs -453.3 and the softmax puts 1/4 on
    each of the 4 direct neighbours and ~0 on the diagonals. Weights:
    direct (1/8 + 0.01/4) / 1.01 = 0.126238, diagonal 0.125 / 1.01 =
    0.123762."""
    image = torch.ones(1, 3, 3, 3)
    delta = torch.zeros(1, 1, 3, 3)
    delta[..., 1, 1] = 1
    par = PixelAdaptiveRefinement(dilations=(1, ), num_iters=1)
    out = par(image, delta)[0, 0]
    direct, diagonal = 0.1275 / 1.01, 0.125 / 1.01
    assert out[1, 1].item() == pytest.approx(0.0)  # not its own neighbour
    assert out[0, 0].item() == pytest.approx(diagonal, abs=1e-6)
    assert out[0, 1].item() == pytest.approx(direct, abs=1e-6)
    assert out[2, 1].item() == pytest.approx(direct, abs=1e-6)
    aff = par_affinity(image, (1, ))
    assert aff.sum(1).sub(1).abs().max() < 1e-6
    assert math.isclose(aff[0, 0, 0, 0].item(), diagonal, abs_tol=1e-6)


def test_constant_map_stays_constant():
    torch.manual_seed(0)
    image = torch.randn(2, 3, 20, 24)
    probs = torch.full((2, 1, 20, 24), 0.3)
    out = MODELS.build(dict(type='PixelAdaptiveRefinement'))(image, probs)
    assert out.shape == probs.shape
    assert (out - 0.3).abs().max() < 1e-5


def test_spill_over_a_colour_edge_is_pulled_back():
    """A red object in columns 0-7 on a noisy grey background; the coarse
    map spills 0.7 over columns 0-10. After refinement the object keeps
    > 0.5 and the spilled background columns drop below 0.5."""
    torch.manual_seed(0)
    image = 0.5 + 0.05 * torch.randn(1, 3, 16, 16)
    image[:, 0, :, :8] = 1.0
    image[:, 1:, :, :8] = 0.0
    probs = torch.zeros(1, 1, 16, 16)
    probs[..., :11] = 0.7
    out = PixelAdaptiveRefinement(dilations=(1, 2, 4))(image, probs)[0, 0]
    assert out[:, :8].min() > 0.5
    assert out[:, 8:11].max() < 0.5
    # without refinement the threshold would keep all 11 columns
    assert (probs[0, 0] > 0.5).sum() == 16 * 11


def test_chunks_give_the_unchunked_result():
    torch.manual_seed(0)
    image, probs = torch.randn(5, 3, 12, 10), torch.rand(5, 2, 12, 10)
    whole = PixelAdaptiveRefinement(chunk_size=5)(image, probs)
    chunked = PixelAdaptiveRefinement(chunk_size=2)(image, probs)
    assert torch.allclose(whole, chunked, atol=1e-6)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='dilations'):
        PixelAdaptiveRefinement(dilations=(0, 1))
    with pytest.raises(ValueError, match='num_iters'):
        PixelAdaptiveRefinement(num_iters=-1)
    with pytest.raises(ValueError, match='chunk_size'):
        PixelAdaptiveRefinement(chunk_size=0)
    with pytest.raises(ValueError, match="frames' size"):
        PixelAdaptiveRefinement()(torch.zeros(1, 3, 8, 8),
                                  torch.zeros(1, 1, 4, 4))
