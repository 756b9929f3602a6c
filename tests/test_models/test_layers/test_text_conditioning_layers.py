import pytest
import torch

from rvos_plugin.models.layers.pixel_word_attention import PixelWordAttention
from rvos_plugin.models.layers.temporal_conv import TemporalConvBlock
from rvos_plugin.models.layers.text_film import TextFiLM, film


def test_film_hand_case():
    x = torch.ones(1, 2, 1, 2)
    gamma = torch.tensor([[1.0, -0.5]])
    beta = torch.tensor([[0.0, 3.0]])
    out = film(x, gamma, beta)
    torch.testing.assert_close(
        out, torch.tensor([[[[2.0, 2.0]], [[3.5, 3.5]]]]))


def test_text_film_starts_as_identity_and_learns():
    layer = TextFiLM(text_dims=5, channels=3)
    x = torch.randn(2, 3, 4, 4)
    text = torch.randn(2, 5)
    torch.testing.assert_close(layer(x, text), x)
    layer(x, text).sum().backward()
    assert layer.proj.weight.grad.abs().sum() > 0


def test_pixel_word_attention_ignores_padded_words():
    torch.manual_seed(0)
    layer = PixelWordAttention(channels=8, text_dims=6, num_heads=2)
    x = torch.randn(1, 8, 3, 3)
    words = torch.randn(1, 4, 6)
    mask = torch.tensor([[True, True, False, False]])
    torch.testing.assert_close(layer(x, words, mask), x)  # zero-init out
    torch.nn.init.normal_(layer.attn.out_proj.weight)
    out = layer(x, words, mask)
    changed = words.clone()
    changed[0, 2:] = 100.0  # padded words must not matter
    torch.testing.assert_close(layer(x, changed, mask), out)
    assert not torch.allclose(out, x)


def test_temporal_conv_mixes_neighbouring_frames_only():
    torch.manual_seed(0)
    block = TemporalConvBlock(channels=8, temporal_kernel=3, num_groups=2)
    block.eval()
    x = torch.randn(2 * 5, 8, 4, 4)  # B=2 clips, T=5
    out = block(x, num_frames=5)
    y = x.clone()
    y[4] += 1.0  # last frame of clip 0
    out2 = block(y, num_frames=5)
    diff = (out2 - out).abs().flatten(1).amax(1)
    assert diff[3] > 0 and diff[4] > 0  # frame 3 sees frame 4
    # clip 1 is untouched (GroupNorm statistics are per clip too)
    assert torch.all(diff[5:] == 0)
    with pytest.raises(ValueError, match='multiple'):
        block(torch.randn(7, 8, 4, 4), num_frames=5)
    with pytest.raises(ValueError, match='odd'):
        TemporalConvBlock(8, temporal_kernel=2)
