"""The WSRVOS model: loss/predict/tensor, gradients, no GT reads."""
import pytest
import torch
from mmdet.structures import DetDataSample

from _wsrvos_helpers import make_sample, tiny_model_cfg
from rvos_plugin.registry import MODELS
from projects.WSRVOS.wsrvos.presence import mismatched_pairs
from projects.WSRVOS.wsrvos.slots import expression_slots


def _batch(B=2, T=3, H=64, W=64, **kw):
    inputs = torch.randn(B, T, 3, H, W)
    samples = [make_sample(video_id=f'v{b}',
                           expression=['the red circle', 'a blue square',
                                       'the green star'][b % 3],
                           T=T, H=H, W=W, **kw) for b in range(B)]
    return inputs, samples


def test_loss_keys_finite_and_backward():
    model = MODELS.build(tiny_model_cfg())
    inputs, samples = _batch()
    losses = model(inputs, samples, mode='loss')
    assert {'loss_cls', 'loss_seg', 'loss_tmp'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()


def test_gradients_reach_only_trainable_parts():
    model = MODELS.build(tiny_model_cfg())
    for p in list(model.vision_encoder.parameters()) + list(
            model.text_encoder.parameters()):
        assert not p.requires_grad  # frozen encoders
    inputs, samples = _batch()
    losses = model(inputs, samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.mil_head.w_smt.weight.grad is not None
    assert model.visual_proj.weight.grad is not None
    assert model.text_proj.weight.grad is not None
    assert model.interaction.video_attn.in_proj_weight.grad is not None
    assert not any('w_cls' in n for n, _ in model.named_parameters())


@pytest.mark.parametrize('overrides', [
    dict(), dict(selection_points=[(1, 1)]),
    dict(selection=dict(k_v=3, k_z=2, l2v=False)),
    dict(selection=dict(k_v=3, k_z=2, v2l=False)),
    dict(condition_on='original')])
def test_every_trainable_parameter_gets_a_gradient(overrides):
    """Nothing unused (find_unused_parameters=False): after one step every
    trainable parameter has a gradient, the selection's shared-space
    projections included (straight-through gate), and a finite one."""
    model = MODELS.build(tiny_model_cfg(**overrides))
    inputs, samples = _batch()
    losses = model(inputs, samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    missing = [n for n, p in model.named_parameters()
               if p.requires_grad and p.grad is None]
    assert missing == []
    for n, p in model.named_parameters():
        if p.requires_grad:
            assert torch.isfinite(p.grad).all(), n
    for sel in model.selectors:
        assert sel.text_to_shared.weight.grad.abs().sum() > 0
        assert sel.visual_to_shared.weight.grad.abs().sum() > 0


def test_released_linear_scorers_are_buffers_not_parameters():
    """selection_scorer='released_linear': the released code's random
    scorers, saved in the state dict, never optimised, never unused."""
    model = MODELS.build(tiny_model_cfg(
        selection=dict(k_v=3, k_z=2, scorer='released_linear')))
    names = [n for n, _ in model.named_parameters()]
    assert not any('selectors' in n for n in names)
    assert 'selectors.0.released_t2v_weight' in model.state_dict()
    inputs, samples = _batch()
    losses = model(inputs, samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert [n for n, p in model.named_parameters()
            if p.requires_grad and p.grad is None] == []


def test_slot_features_do_not_depend_on_the_labels():
    """Permuting the positive/negative labels over the same slot texts
    leaves every per-slot feature unchanged (paper: all slots condition the
    video); the released code's 'positives' conditioning does not."""
    texts = [['the red circle moving left', 'a blue square', 'a dog',
              'the red circle that is big', 'a green star']]
    labels_a = torch.tensor([[True, False, False, True, False]])
    labels_b = torch.tensor([[False, True, True, False, False]])
    inputs = torch.randn(1, 2, 3, 64, 64)
    for cond, same in (('all_slots', True), ('positives', False)):
        torch.manual_seed(0)
        model = MODELS.build(tiny_model_cfg(condition_on=cond)).eval()
        slots = dict(texts=texts, valid=torch.ones(1, 5, dtype=torch.bool))
        with torch.no_grad():
            fa = model._training_features(
                inputs, dict(slots, positive=labels_a), None)
            fb = model._training_features(
                inputs, dict(slots, positive=labels_b), None)
        equal = all(torch.equal(fa[k], fb[k])
                    for k in ('visual', 'text', 'text_cls', 'raw_sim'))
        assert equal == same, cond


def test_predict_writes_ori_shape_bool_masks():
    model = MODELS.build(tiny_model_cfg()).eval()
    inputs, samples = _batch(B=1, T=2)
    with torch.no_grad():
        out = model(inputs, samples, mode='predict')
    for frame in out[0].video_data_samples:
        assert frame.pred_mask.data.dtype == torch.bool
        assert frame.pred_mask.data.shape == (1, 70, 74)  # ori_shape
    sim = model(inputs, samples, mode='tensor')
    assert sim.shape == (1, 2, 16)  # (B, T, Nv) at stride 16 on 64x64


def test_training_never_reads_gt_masks():

    class Tripwire(DetDataSample):

        def __getattribute__(self, name):
            if name.startswith('gt_'):
                raise AssertionError(f'WSRVOS read {name} during training')
            return super().__getattribute__(name)

    model = MODELS.build(tiny_model_cfg())
    inputs, samples = _batch(with_gt=False, sample_cls=Tripwire)
    losses = model(inputs, samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    # and a batch whose frames carry GT masks gives the same loss
    torch.manual_seed(0)
    import random
    random.seed(0)
    model2 = MODELS.build(tiny_model_cfg())
    model2.load_state_dict(model.state_dict())
    inputs2, with_gt = _batch(with_gt=True)
    random.seed(1)
    a = model2(inputs, with_gt, mode='loss')['loss_seg']
    random.seed(1)
    b = model2(inputs, _batch(with_gt=False)[1], mode='loss')['loss_seg']
    assert torch.equal(a, b)


def test_no_negatives_and_nothing_above_threshold_no_nan():
    model = MODELS.build(tiny_model_cfg(
        calibration=dict(learnable_scale_bias=True, init_bias=-50.0)))
    inputs, samples = _batch(negatives=())
    losses = model(inputs, samples, mode='loss')
    assert losses['proposal_fg'].item() == 0.0  # no patch passes theta
    for k, v in losses.items():
        assert torch.isfinite(v), k
    sum(v for k, v in losses.items() if 'loss' in k).backward()


def test_missing_expression_keys_and_empty_text_raise():
    model = MODELS.build(tiny_model_cfg())
    inputs, samples = _batch(B=1)
    bad = make_sample()
    bad.set_metainfo(dict(expression='  '))
    with pytest.raises(ValueError, match='Empty'):
        model(inputs, [bad], mode='predict')
    few = make_sample(positives=('only one',))
    with pytest.raises(ValueError, match='WSRVOSSampleExpressions'):
        model(inputs, [few], mode='loss')
    from mmdet.structures import TrackDataSample
    bare = TrackDataSample(metainfo=dict(video_id='v9', exp_id='1',
                                         expression='a cat'))
    with pytest.raises(KeyError, match='LoadWSRVOSExpressions'):
        model(inputs, [bare], mode='loss')


@pytest.mark.parametrize('overrides', [
    dict(mil_head=None),
    dict(mil_head=dict(variant='no_paem')),
    dict(mil_head=dict(variant='no_cls')),
    dict(mil_head=dict(variant='no_smt')),
    dict(mil_head=dict(variant='cls_learn')),
    dict(fusion=None),
    dict(fusion=dict(mode='single')),
    dict(temporal_loss=None),
    dict(temporal_loss=dict(mode='psc')),
    dict(selection_points=[]),
    dict(selection=dict(k_v=3, k_z=2, l2v=False)),
    dict(interaction=None),
    dict(interaction=dict(num_heads=2, text_queries_video=False)),
    dict(selection=dict(k_v=3, k_z=2, scorer='released_linear')),
    dict(condition_on='positives'),
    dict(condition_on='original'),
    dict(temporal_loss_on='soft_predictions'),
    dict(inference_window=2),
    dict(warmup_iters=5),
    dict(similarity='cosine'),
    # all levers at once (the improved recipe)
    dict(similarity='cosine', condition_on='original',
         calibration=dict(standardize=True, learnable_scale_bias=True),
         mil_head=dict(slot_agnostic_smt=True, released_code_bce_on_y=True),
         presence_contrast=dict(loss_weight=1.0, init_scale=10.0),
         pseudo_mask_from_presence=True, test_mode_presence=True,
         mask_refinement=dict(type='PixelAdaptiveRefinement', num_iters=2)),
])
def test_ablation_variants_train_and_predict(overrides):
    model = MODELS.build(tiny_model_cfg(**overrides))
    inputs, samples = _batch()
    losses = model(inputs, samples, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    if total.requires_grad:
        total.backward()
    if overrides.get('warmup_iters'):
        assert losses['loss_seg'].item() == 0.0
    model.eval()
    with torch.no_grad():
        out = model(inputs[:1], samples[:1], mode='predict')
    assert out[0].video_data_samples[0].pred_mask.data.shape == (1, 70, 74)


def test_presence_contrast_uses_mismatched_videos_only():
    model = MODELS.build(tiny_model_cfg(presence_contrast=dict()))
    samples = [make_sample(video_id=f'v{b}', expression=e, positives=(e + ' x',))
               for b, e in enumerate(['the red circle', 'a blue square',
                                      'the green star'])]
    pairs = mismatched_pairs(samples)
    assert (0, 1) in pairs and len(pairs) == 6
    same = make_sample(video_id='v1', expression='the red circle')
    pairs = mismatched_pairs([samples[0], same])
    assert pairs == []  # same video id: never an "absent" example
    # text says v5 also shows the red circle -> not a mismatch
    other = make_sample(video_id='v5', expression='the red circle on the left')
    assert mismatched_pairs([samples[0], other]) == [(1, 0)]


def test_slot_order_keeps_labels_with_texts():
    _, samples = _batch(B=1)
    samples[0].set_metainfo(dict(slot_order=[4, 0, 3, 1, 2]))
    slots = expression_slots(samples, 2, 3)
    assert slots['texts'][0] == [
        'the dog', 'the red circle moving left', 'a green star',
        'the red circle that is big', 'the blue square']
    assert slots['labels'][0].tolist() == [0., 1., 0., 1., 0.]
    assert slots['pos_index'][0].tolist() == [1, 3]


def test_bad_selection_point_raises():
    with pytest.raises(ValueError, match='outside the encoders'):
        MODELS.build(tiny_model_cfg(selection_points=[(9, 1)]))


def test_with_plugin_encoders_swin_and_hf_text():
    """The real block-wise classes (tiny random configs) plug in (§7)."""
    cfg = tiny_model_cfg(
        vision_encoder=dict(
            type='RVOSVideoSwin',
            arch=dict(embed_dims=8, depths=(2, 2, 2, 2),
                      num_heads=(1, 2, 2, 4)),
            pretrained=None),
        text_encoder=dict(
            type='RVOSHFTextEncoder', model_path=None,
            config=dict(model_type='bert', hidden_size=16,
                        num_hidden_layers=3, num_attention_heads=2,
                        intermediate_size=32)),
        selection_points=[(3, 1), (6, 2), (8, 3)])
    model = MODELS.build(cfg)
    assert model.selectors[0].visual_to_shared.in_features == 16  # block 3
    inputs, samples = _batch(B=2, T=2)
    losses = model(inputs, samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(p.grad is None for p in model.vision_encoder.parameters())
    model.eval()
    with torch.no_grad():
        out = model(inputs[:1], samples[:1], mode='predict')
    assert out[0].video_data_samples[1].pred_mask.data.shape == (1, 70, 74)


def test_text_cache_gives_the_uncached_features():
    """text_cache_size only saves time: same maps, same loss, LRU bounded."""
    torch.manual_seed(0)
    plain = MODELS.build(tiny_model_cfg(selection_points=[]))
    cached = MODELS.build(tiny_model_cfg(selection_points=[],
                                         text_cache_size=5))
    cached.load_state_dict(plain.state_dict())
    assert cached.encoders._cache_usable()
    assert not plain.encoders._cache_usable()
    inputs = torch.randn(2, 2, 3, 64, 64)
    texts = [['the red circle', 'a big blue square on the left'],
             ['the red circle', 'x']]
    cond = torch.tensor([[True, False], [False, True]])
    for _ in range(2):  # second pass reads the cache
        a = plain.forward_features(inputs, texts, cond)
        b = cached.forward_features(inputs, texts, cond)
        for k in ('raw_sim', 'text', 'text_cls', 'visual'):
            torch.testing.assert_close(a[k], b[k], atol=1e-5, rtol=1e-4)
    assert len(cached.encoders.text_cache._states) == 3  # distinct texts
    cached.forward_features(inputs, [['p', 'q'], ['r', 's']], cond)
    assert len(cached.encoders.text_cache._states) == 5  # LRU bound
    # the two least recently used texts were evicted
    assert list(cached.encoders.text_cache._states) == ['x', 'p', 'q', 'r', 's']
    # a selection point changes the text features: no cache
    with_sel = MODELS.build(tiny_model_cfg(text_cache_size=5))
    assert not with_sel.encoders._cache_usable()


def test_mask_refinement_refines_the_upsampled_inference_map():
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(
        mask_refinement=dict(type='PixelAdaptiveRefinement'))).eval()
    assert model.mask_refinement is not None
    inputs, samples = _batch(B=1, T=2)
    seen = {}

    class FakeRefinement(torch.nn.Module):

        def forward(self, images, probs):
            seen['images'], seen['probs'] = images, probs
            out = torch.zeros_like(probs)
            out[..., :10, :20] = 1  # a box the coarse map cannot draw
            return out

    model.mask_refinement = FakeRefinement()
    with torch.no_grad():
        out = model(inputs, samples, mode='predict')
    assert torch.equal(seen['images'], inputs.flatten(0, 1))
    assert seen['probs'].shape == (2, 1, 64, 64)  # (B*T, 1, H_pad, W_pad)
    for frame in out[0].video_data_samples:
        mask = frame.pred_mask.data[0]  # ori_shape (70, 74)
        assert mask.shape == (70, 74)
        assert mask[:9, :21].all() and not mask[12:].any()
