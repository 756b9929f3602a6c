"""ReVIOsASAM2: build, freezing, per-frame decoding, memory propagation."""
import pytest
import torch
from reviosa_tiny import TINY_SAM2

from projects.ReVIOsA.reviosa.sam2_adapter import ReVIOsASAM2


@pytest.fixture(scope='module')
def sam():
    torch.manual_seed(0)
    return ReVIOsASAM2(**TINY_SAM2)


def test_frozen_encoder_and_decode_shapes(sam):
    assert not any(p.requires_grad for p in sam.sam.image_encoder.parameters())
    sam.train()
    assert not sam.sam.image_encoder.training  # frozen part stays in eval
    feats = sam.encode(torch.randn(3, 3, 20, 30))
    prompt = torch.randn(2, 1, sam.hidden_dim, requires_grad=True)
    low = sam.segment_frames(feats, prompt, torch.tensor([0, 2]))
    s = sam.image_size // 4
    assert low.shape == (2, 1, s, s)
    low.sum().backward()
    assert prompt.grad is not None and prompt.grad.abs().sum() > 0


def test_prompt_changes_the_mask(sam):
    sam.eval()
    feats = sam.encode(torch.randn(1, 3, 16, 16))
    a = sam.segment_frames(feats, torch.zeros(1, 1, sam.hidden_dim))
    b = sam.segment_frames(feats, torch.ones(1, 1, sam.hidden_dim))
    assert not torch.allclose(a, b)


def test_propagate(sam):
    sam.eval()
    frames = torch.randn(6, 3, 16, 20)
    prompt = torch.randn(1, 1, sam.hidden_dim)
    out = sam.propagate(frames, prompt, cond_frames=[2, 4], out_size=(16, 20),
                        chunk=4)
    assert out.shape == (6, 16, 20)
    assert torch.isfinite(out).all()
    with pytest.raises(ValueError, match='out of range'):
        sam.propagate(frames, prompt, [6], (16, 20))


def test_checkpoint_round_trip(sam, tmp_path):
    path = tmp_path / 'sam2_tiny.pt'
    torch.save({'model': sam.sam.state_dict()}, path)
    loaded = ReVIOsASAM2(config=TINY_SAM2['config'], checkpoint=str(path))
    for (k, v), (_, w) in zip(sam.sam.state_dict().items(),
                              loaded.sam.state_dict().items()):
        assert torch.equal(v, w), k
    torch.save({'model': {'bogus': torch.zeros(1)}}, path)
    with pytest.raises(RuntimeError, match='does not match'):
        ReVIOsASAM2(config=TINY_SAM2['config'], checkpoint=str(path))


def test_inference_multimask_keeps_the_best_iou_mask_in_eval_only():
    """The authors' inference: SAM2's 3 multimask outputs, best predicted
    IoU kept; training (and the default) decodes SAM2's single mask."""
    torch.manual_seed(0)
    sam = ReVIOsASAM2(**TINY_SAM2, inference_multimask=True)
    feats = sam.encode(torch.randn(2, 3, 16, 16))
    vf, sizes = feats['vision_feats'], feats['feat_sizes']
    pix = vf[-1].permute(1, 2, 0).reshape(2, -1, *sizes[-1])
    high = sam._high_res(vf, sizes)
    prompt = torch.randn(2, 1, sam.hidden_dim)
    with torch.no_grad():
        sam.eval()
        raw = sam.sam.sam_mask_decoder(
            image_embeddings=pix, image_pe=sam.dense_pe(pix.dtype),
            sparse_prompt_embeddings=torch.cat([sam.sam.sam_prompt_encoder(
                points=(torch.zeros(2, 1, 2),
                        -torch.ones(2, 1, dtype=torch.int32)),
                boxes=None, masks=None)[0], prompt], 1),
            dense_prompt_embeddings=sam.sam.sam_prompt_encoder(
                points=(torch.zeros(2, 1, 2),
                        -torch.ones(2, 1, dtype=torch.int32)),
                boxes=None, masks=None)[1],
            multimask_output=True, repeat_image=False,
            high_res_features=high)
        masks3, ious3 = raw[0], raw[1]
        assert masks3.shape[1] == 3
        best = masks3[torch.arange(2), ious3.argmax(-1)][:, None]
        multi = sam.segment_frames(feats, prompt)
        single = sam.decode(pix, high, prompt, False)[0]
        sam.train()
        trained = sam.segment_frames(feats, prompt)
    assert torch.allclose(multi, best, atol=1e-6)
    assert torch.allclose(trained, single, atol=1e-6)
    assert not torch.allclose(multi, single)
