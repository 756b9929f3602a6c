"""RVOSVideoSwin: block-wise interface, temporal mixing, checkpoint mapping."""
import pytest
import torch
import torch.nn.functional as F

from rvos_plugin.models.backbones.video_swin import RVOSVideoSwin

TINY = dict(embed_dims=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4))


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(1)
    torch.manual_seed(0)


def test_block_channels_and_global_indices_swin_t():
    m = RVOSVideoSwin('tiny')
    assert m.num_blocks == 12
    # after blocks 3/6/9/12 (1-based): 192, 384, 384, 768 (released code)
    assert [m.block_channels[i - 1] for i in (3, 6, 9, 12)] == [
        192, 384, 384, 768]
    assert all(not p.requires_grad for p in m.parameters())
    m.train()
    assert not m.training  # frozen stays in eval
    b = RVOSVideoSwin('base')
    assert b.num_blocks == 24 and b.block_channels[-1] == 1024


def test_blockwise_equals_forward_and_shapes():
    m = RVOSVideoSwin(TINY, window_size=(8, 7, 7)).eval()
    x = torch.randn(2 * 3, 3, 64, 96)  # B=2, T=3
    with torch.no_grad():
        outs = m(x, num_frames=3)
        y = m.stem(x)
        assert y.shape == (6, 8, 16, 24)
        for i in range(m.num_blocks):
            y = m.forward_block(i, y, num_frames=3)
            assert y.shape[1] == m.block_channels[i]
    assert [o.shape for o in outs] == [(6, 8, 16, 24), (6, 16, 8, 12),
                                       (6, 32, 4, 6), (6, 64, 2, 3)]
    assert torch.allclose(y, outs[-1], atol=1e-5)


def test_final_norm_can_be_deferred():
    """WSRVOS released code: the final LayerNorm after the last selection."""
    m = RVOSVideoSwin(TINY).eval()
    with torch.no_grad():
        m.norm.weight.uniform_(0.5, 2.0)
        m.norm.bias.uniform_(-1.0, 1.0)
        y = m.stem(torch.randn(4, 3, 32, 32))
        for i in range(m.num_blocks - 1):
            y = m.forward_block(i, y, num_frames=2)
        last = m.num_blocks - 1
        normed = m.forward_block(last, y, num_frames=2)
        raw = m.forward_block(last, y, num_frames=2, final_norm=False)
        deferred = m.apply_final_norm(raw)
    assert not torch.allclose(raw, normed, atol=1e-3)
    assert torch.allclose(deferred, normed, atol=1e-6)
    # by hand: LayerNorm over the channels of every token
    tok = raw[0, :, 0, 0]
    ref = (tok - tok.mean()) / torch.sqrt(tok.var(unbiased=False) + 1e-5)
    assert torch.allclose(deferred[0, :, 0, 0],
                          ref * m.norm.weight + m.norm.bias, atol=1e-5)


def test_frames_mix_in_time_but_not_across_videos():
    m = RVOSVideoSwin(TINY).eval()
    x = torch.randn(4, 3, 32, 32)  # B=2, T=2
    x2 = x.clone()
    x2[1] += 1.0  # change frame 1 of video 0
    with torch.no_grad():
        a, b = m(x, num_frames=2)[-1], m(x2, num_frames=2)[-1]
    assert not torch.allclose(a[0], b[0])  # frame 0 sees frame 1
    assert torch.allclose(a[2:], b[2:])  # video 1 untouched


def test_fake_official_checkpoint_mapping(tmp_path):
    m = RVOSVideoSwin(TINY)
    state = {f'backbone.{k}': v.clone() for k, v in m.state_dict().items()}
    w = torch.randn(8, 3, 2, 4, 4)
    state['backbone.patch_embed.proj.weight'] = w
    state['backbone.layers.0.blocks.0.attn.relative_position_index'] = \
        torch.zeros(3, 3, dtype=torch.long)
    state['cls_head.fc_cls.weight'] = torch.randn(400, 64)
    state['backbone.extra.weight'] = torch.randn(2)
    del state['backbone.norm.bias']
    path = tmp_path / 'swin_fake_kinetics.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)
    loaded = RVOSVideoSwin(TINY, pretrained=str(path))
    assert loaded.load_report['missing'] == ['norm.bias']
    assert loaded.load_report['unexpected'] == ['extra.weight']
    assert torch.equal(loaded.patch_embed.proj.weight, w.sum(2, keepdim=True))
    # 'sum' == the official 2-frame embedding of a frame shown twice
    frame = torch.randn(1, 3, 1, 8, 8)
    official = F.conv3d(frame.repeat(1, 1, 2, 1, 1), w, stride=(2, 4, 4))
    ours = F.conv3d(frame, loaded.patch_embed.proj.weight, stride=(1, 4, 4))
    assert torch.allclose(official, ours, atol=1e-5)
    center = RVOSVideoSwin(TINY, pretrained=str(path),
                           patch_embed_temporal='center')
    assert torch.equal(center.patch_embed.proj.weight, w[:, :, 1:2])


def test_missing_checkpoint_and_bad_args():
    with pytest.raises(FileNotFoundError, match='swin_tiny_patch244'):
        RVOSVideoSwin(TINY, pretrained='/nonexistent/swin.pth')
    with pytest.raises(ValueError, match='arch'):
        RVOSVideoSwin('huge')
    with pytest.raises(ValueError, match='patch_size'):
        RVOSVideoSwin(TINY, patch_size=(2, 4, 4))
    with pytest.raises(ValueError, match='exactly'):
        RVOSVideoSwin(dict(embed_dims=8))


def test_window_attention_matches_explicit_softmax():
    from rvos_plugin.models.backbones.video_swin import (WindowAttention3D,
                                                         compute_attn_mask)
    attn = WindowAttention3D(8, (2, 2, 2), num_heads=2)
    mask = compute_attn_mask(2, 4, 4, (2, 2, 2), (1, 1, 1), 'cpu')  # 4 wins
    x = torch.randn(2 * 4, 8, 8)
    q, k, v = attn.qkv(x).reshape(8, 8, 3, 2, 4).permute(2, 0, 3, 1, 4)
    scores = (q * attn.scale) @ k.transpose(-2, -1)
    scores = scores.view(2, 4, 2, 8, 8) + attn.attention_bias(8, mask)[None]
    ref = (scores.view(8, 2, 8, 8).softmax(-1) @ v).transpose(1, 2)
    ref = attn.proj(ref.reshape(8, 8, 8))
    assert torch.allclose(attn(x, mask), ref, atol=1e-5)
    assert torch.allclose(attn(x[:2]), attn(x[:2], None))
