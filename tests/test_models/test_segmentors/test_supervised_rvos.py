import copy

import pytest
import torch
from mmengine.structures import PixelData

from rvos_plugin.registry import MODELS

TINY_TEXT = dict(type='RVOSHFTextEncoder', frozen=True,
                 config=dict(model_type='bert', hidden_size=32,
                             num_hidden_layers=2, num_attention_heads=2,
                             intermediate_size=64))


def _cfg(pretrained=True):
    backbone = dict(type='RVOSEfficientNetLite', out_indices=(2, 4, 10, 15))
    text = dict(type='RVOSHFTextEncoder')
    if not pretrained:
        backbone['pretrained'] = None
        text = TINY_TEXT
    return dict(
        type='RVOSSupervisedBaseline',
        data_preprocessor=dict(type='RVOSDataPreprocessor',
                               mean=[127.5] * 3, std=[127.5] * 3,
                               pad_size_divisor=32),
        backbone=backbone, text_encoder=text,
        head=dict(type='RVOSTextFPNMaskHead', channels=32))


def _sample(text, t=3, h=64, w=64, ori=None, seed=0):
    """A clip with a bright square moving right, GT = the square."""
    from mmdet.structures import DetDataSample, TrackDataSample
    g = torch.Generator().manual_seed(seed)
    frames, imgs = [], []
    for i in range(t):
        img = torch.randint(60, 90, (3, h, w), generator=g,
                            dtype=torch.uint8)
        mask = torch.zeros(1, h, w, dtype=torch.uint8)
        x0 = 8 + 6 * i
        img[:, 20:36, x0:x0 + 16] = torch.tensor([220, 30, 30],
                                                 dtype=torch.uint8)[:, None,
                                                                    None]
        mask[0, 20:36, x0:x0 + 16] = 1
        imgs.append(img)
        frame = DetDataSample(metainfo=dict(
            frame_id=i, img_shape=(h, w), ori_shape=ori or (h, w)))
        frame.gt_mask = PixelData(data=mask)
        frames.append(frame)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    sample.set_metainfo(dict(video_id='vid', exp_id='0', expression=text,
                             img_shape=(h, w), ori_shape=ori or (h, w)))
    return torch.stack(imgs), sample


def _batch(model, samples, training):
    data = dict(inputs=[s[0] for s in samples],
                data_samples=[copy.deepcopy(s[1]) for s in samples])
    return model.data_preprocessor(data, training)


@pytest.fixture(scope='module')
def real_model():
    torch.manual_seed(0)
    return MODELS.build(_cfg(pretrained=True))


def test_loss_and_gradients_only_in_head(real_model):
    model = real_model
    model.train()
    assert not model.backbone.training and not model.text_encoder.training
    data = _batch(model, [_sample('the red square'),
                          _sample('a square moving right', seed=1)], True)
    model.zero_grad()
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_mask_bce', 'loss_mask_dice'}
    sum(losses.values()).backward()
    for name, param in model.named_parameters():
        if name.startswith(('backbone.', 'text_encoder.')):
            assert not param.requires_grad and param.grad is None, name
    head_grads = [p.grad for p in model.head.parameters()]
    assert all(g is not None for g in head_grads)
    assert sum(g.abs().sum() for g in head_grads) > 0


def test_tensor_mode_and_predict_at_ori_shape(real_model):
    model = real_model
    model.eval()
    # img_shape (64, 80) padded to (64, 96); original video 120 x 150.
    clip, sample = _sample('the red square', h=64, w=80, ori=(120, 150))
    data = _batch(model, [(clip, sample)], False)
    assert data['inputs'].shape == (1, 3, 3, 64, 96)
    with torch.no_grad():
        logits = model(**data, mode='tensor')
        assert logits.shape == (1, 3, 64, 96)
        out = model(**data, mode='predict')
    frames = out[0].video_data_samples
    assert len(frames) == 3
    for frame in frames:
        assert frame.pred_mask.data.shape == (1, 120, 150)
        assert frame.pred_mask.data.dtype == torch.bool
    # the cache returns the same features for the same clip
    assert len(model._feat_cache) == 1


def test_predict_with_mask_refinement(real_model):
    model = real_model
    model.eval()
    clip, sample = _sample('the red square', h=64, w=80, ori=(120, 150))
    data = _batch(model, [(clip, sample)], False)
    with torch.no_grad():
        plain = [f.pred_mask.data.clone() for f in model(
            **data, mode='predict')[0].video_data_samples]
        model.mask_refinement = MODELS.build(
            dict(type='PixelAdaptiveRefinement', num_iters=3))
        try:
            refined = [f.pred_mask.data for f in model(
                **data, mode='predict')[0].video_data_samples]
        finally:
            model.mask_refinement = None
    assert all(m.shape == (1, 120, 150) and m.dtype == torch.bool
               for m in refined)
    assert any(not torch.equal(x, y) for x, y in zip(plain, refined))
    built = MODELS.build(dict(
        _cfg(pretrained=False),
        test_cfg=dict(mask_refinement=dict(type='PixelAdaptiveRefinement'))))
    assert built.mask_refinement is not None


def test_predict_never_reads_gt(real_model):
    model = real_model
    model.eval()
    clip, sample = _sample('the red square')
    for frame in sample.video_data_samples:
        del frame.gt_mask
    data = _batch(model, [(clip, sample)], False)
    with torch.no_grad():
        out = model(**data, mode='predict')
    assert out[0].video_data_samples[0].pred_mask.data.shape == (1, 64, 64)


def test_overfits_one_tiny_batch():
    torch.manual_seed(0)
    model = MODELS.build(_cfg(pretrained=True))
    model.train()
    data = _batch(model, [_sample('the red square moving right', t=2)], True)
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=3e-3)
    history = []
    for _ in range(25):
        optim.zero_grad()
        loss = sum(model(**data, mode='loss').values())
        loss.backward()
        optim.step()
        history.append(loss.item())
    assert history[-1] < 0.5 * history[0], history
    model.eval()
    with torch.no_grad():
        out = model(**data, mode='predict')
    pred = out[0].video_data_samples[0].pred_mask.data[0]
    gt = data['data_samples'][0].video_data_samples[0].gt_mask.data[0].bool()
    iou = (pred & gt).sum() / (pred | gt).sum()
    assert iou > 0.5, float(iou)


def test_bad_inputs_raise_naming_sample():
    model = MODELS.build(_cfg(pretrained=False))
    model.train()
    clip, sample = _sample('   ')
    data = _batch(model, [(clip, sample)], True)
    with pytest.raises(ValueError, match='vid/0'):
        model(**data, mode='loss')
    clip, sample = _sample('the square')
    data = _batch(model, [(clip, sample)], True)
    frame = data['data_samples'][0].video_data_samples[1]
    frame.gt_mask = PixelData(data=torch.zeros(1, 32, 32, dtype=torch.uint8))
    with pytest.raises(ValueError, match='gt_mask'):
        model(**data, mode='loss')
    with pytest.raises(ValueError, match=r'\(B, T, 3, H, W\)'):
        model(data['inputs'][0], data['data_samples'], mode='tensor')
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(**data, mode='bogus')


def test_baseline_config_parses_and_builds_with_tiny_encoders():
    import os.path as osp

    from mmengine.config import Config
    repo = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))
    cfg = Config.fromfile(osp.join(
        repo, 'configs/baseline/'
        'rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_synthetic.py'))
    assert cfg.model.backbone.pretrained.startswith('package:')
    assert cfg.model.data_preprocessor.mean == [127.5] * 3
    cfg.model.backbone.pretrained = None
    cfg.model.text_encoder = TINY_TEXT
    model = MODELS.build(cfg.model)
    assert model.head.temporal_levels == (1, 2, 3)
    assert model.text_encoder.hidden_size == 32
