"""ReVIOsA revision-3 CPU options that make the seg-token prompt select the
object: the prompt-conditioned mask head added to SAM2's logits
(``model.sam2.prompt_mask_head``) and the actor-target overlap term
(``model.loss_overlap_weight``). Real configs keep both off."""
import copy
import math
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from reviosa_tiny import REPO, TINY_SAM2, tiny_recipe_cfg

from projects.ReVIOsA.reviosa.cpu_recipe.losses import actor_target_overlap_loss
from projects.ReVIOsA.reviosa.cpu_recipe.actor_context import (
    proximity_maps, temporal_max)
from projects.ReVIOsA.reviosa.cpu_recipe.sam2_adapter import ReVIOsACPUSAM2
from projects.ReVIOsA.reviosa.cpu_recipe.pair_selection import \
    exclusive_logits
from rvos_plugin.registry import MODELS
from rvos_plugin.testing._utils import demo_rvos_batch

HEAD = dict(type='RVOSTextFPNMaskHead', channels=16, num_groups=4,
            attn_levels=(), temporal_levels=(1, 2))
# the tiny SAM2 on Lite0 with the prompt-conditioned mask head
HEAD_SAM2 = dict(TINY_SAM2, image_encoder='efficientnet_lite0',
                 prompt_mask_head=HEAD)


@pytest.fixture(scope='module')
def head_sam():
    torch.manual_seed(0)
    return ReVIOsACPUSAM2(**HEAD_SAM2)


def test_overlap_loss_hand_computed():
    # p = 0.5 on 2 pixels each: 2 * (0.25 * 2) / (1 + 1 + eps 1) = 1/3
    zero = torch.zeros(1, 1, 2)
    assert math.isclose(actor_target_overlap_loss(zero, zero).item(), 1 / 3,
                        rel_tol=1e-6)
    # disjoint confident masks: ~0; identical confident masks: -> 1
    a = torch.tensor([[[30.0, -30.0]]])
    t = torch.tensor([[[-30.0, 30.0]]])
    assert actor_target_overlap_loss(a, t).item() < 1e-6
    big = torch.full((2, 8, 8), 30.0)
    assert actor_target_overlap_loss(big, big).item() == pytest.approx(
        256 / 257, rel=1e-5)  # 2 * 128 / (128 + 128 + 1)
    with pytest.raises(ValueError, match='actor'):
        actor_target_overlap_loss(zero, torch.zeros(1, 2, 2))


def test_prompt_head_logits_depend_on_prompt_and_train(head_sam):
    sam = head_sam.train()
    assert sam.prompt_head.laterals[0][0].in_channels == \
        sam.lite.out_channels[0]
    feats = sam.encode(torch.randn(3, 3, 20, 20))
    assert [m.size(0) for m in feats['raw_maps']] == [3, 3, 3]
    p1 = torch.randn(1, 1, sam.hidden_dim).expand(3, -1, -1)
    p2 = torch.randn(1, 1, sam.hidden_dim).expand(3, -1, -1)
    # the added head is exactly the difference to SAM2's own logits
    sam_only, _, _, _ = sam.decode(
        sam.prompt_film(feats['vision_feats'][-1], p1)
        if hasattr(sam, 'prompt_film') else
        feats['vision_feats'][-1].permute(1, 2, 0).reshape(
            3, -1, *feats['feat_sizes'][-1]),
        sam._high_res(feats['vision_feats'], feats['feat_sizes']), p1)
    full = sam.segment_frames(feats, p1)
    head = sam.prompt_head_logits(feats['raw_maps'], p1, full.shape[-2:])
    torch.testing.assert_close(full, sam_only + head)
    # FiLM starts as the identity (zero-init): the prompt is not used yet,
    # but the FiLM projections get gradients
    torch.testing.assert_close(
        head, sam.prompt_head_logits(feats['raw_maps'], p2, full.shape[-2:]))
    full.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in sam.prompt_head.films.parameters())
    sam.zero_grad()
    # once FiLM is non-zero, another prompt gives other logits
    films = [*sam.prompt_head.films, sam.prompt_head.out_film]
    with torch.no_grad():
        for film in films:
            film.proj.weight.normal_(0, 0.5)
    head1 = sam.prompt_head_logits(feats['raw_maps'], p1, full.shape[-2:])
    head2 = sam.prompt_head_logits(feats['raw_maps'], p2, full.shape[-2:])
    assert (head1 - head2).abs().max() > 1e-3
    with torch.no_grad():
        for film in films:
            film.proj.weight.zero_()


def test_prompt_head_needs_one_clip_and_lite0(head_sam):
    feats = head_sam.encode(torch.randn(2, 3, 16, 16))
    mixed = torch.randn(2, 1, head_sam.hidden_dim)
    with pytest.raises(ValueError, match='one clip'):
        head_sam.segment_frames(feats, mixed)
    with pytest.raises(ValueError, match='efficientnet_lite0'):
        ReVIOsACPUSAM2(**dict(TINY_SAM2, prompt_mask_head=HEAD))


def _batch(model, seed=0):
    batch = demo_rvos_batch(2, 3, (24, 28), seed=seed)
    s = batch['data_samples'][1]
    s.set_metainfo(dict(has_target=True, caption_type='unidirectional'))
    for f in s.video_data_samples:
        f.gt_target_mask.data[..., 14:20, 14:22] = 1
    return model.data_preprocessor(batch, True)


def test_model_with_head_and_overlap_term_trains_and_predicts():
    torch.manual_seed(0)
    sam2 = dict(HEAD_SAM2)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, loss_overlap_weight=0.5, video_inference='per_frame'))
    model.train()
    data = _batch(model)
    model._rng.seed(0)
    losses = model(**data, mode='loss')
    # sample 1 is unidirectional: both masks decoded -> an overlap term
    assert 'loss_overlap' in losses
    assert 0 < losses['loss_overlap'].item() < 0.5
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters()
               if p.requires_grad and p.grad is None]
    assert missing == []  # DDP-safe
    assert any('prompt_head' in n for n, p in model.named_parameters()
               if p.requires_grad)
    model.eval()
    pred = model(**model.data_preprocessor(
        demo_rvos_batch(1, 3, (24, 28)), False), mode='predict')[0]
    assert pred.video_data_samples[0].pred_mask.data.shape[-2:] == (24, 28)
    # overlap term off (default) -> no such key
    model0 = MODELS.build(tiny_recipe_cfg())
    model0.train()
    model0._rng.seed(0)
    assert 'loss_overlap' not in model0(**_batch(model0), mode='loss')


def test_prompt_head_refuses_memory_propagation():
    sam2 = dict(HEAD_SAM2)
    with pytest.raises(ValueError, match='per_frame'):
        MODELS.build(tiny_recipe_cfg(sam2=sam2, video_inference='propagate'))


def test_cpu_config_turns_the_options_on_real_config_does_not():
    cpu = Config.fromfile(osp.join(
        REPO, 'configs', 'reviosa',
        'reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py'))
    # the CPU recipe's model; the whole random MLLM trains
    assert cpu.model.type == 'ReVIOsACPURecipe'
    assert 'projects.ReVIOsA.reviosa.cpu_recipe' in cpu.custom_imports.imports
    assert (cpu.model.freeze_mllm, cpu.model.train_token_embeddings) == (
        False, 'all')
    assert cpu.model.sam2.prompt_mask_head['type'] == 'RVOSTextFPNMaskHead'
    assert cpu.model.video_inference == 'per_frame'
    assert cpu.model.expression_encoder['type'] == 'RVOSHFTextEncoder'
    assert (cpu.model.loss_bce_weight, cpu.model.loss_dice_weight) == (1, 1)
    lr = cpu.optim_wrapper.paramwise_cfg.custom_keys
    assert lr['sam2']['lr_mult'] == lr['projector']['lr_mult'] == 3.0
    # measured harmful: kept off
    assert cpu.model.loss_overlap_weight == 0.0
    # session 6: the actor reads the target mask and its dilations; the
    # role attention has GRU keys and sigmoid gates; unidirectional
    # expressions are oversampled; 664 iterations
    assert cpu.model.target_context_for_actor is True
    assert cpu.model.target_context_radii == (0.04, 0.08, 0.16)
    assert cpu.model.role_word_attention == dict(
        gating='sigmoid', sequence_encoder=True, num_roles=2,
        logit_bound=3.0)
    # session 7: 1200 training videos; session 8: the actor and target
    # regions chosen as a pair (it replaces the session-7 nearest region)
    assert cpu.model.actor_nearest_component is False
    assert cpu.model.actor_target_pair == dict(threshold=0.3,
                                               distance_weight=5.0)
    assert cpu.train_dataloader.dataset.data_root == \
        cpu.val_dataloader.dataset.data_root == \
        cpu.test_dataloader.dataset.data_root == 'data/synthetic_rvos_1200'
    only_seg = Config.fromfile(osp.join(
        REPO, 'configs', 'reviosa', 'ablation',
        'reviosa_tiny-internvl_tiny-sam2_only-seg_1xb8-cpu_synthetic-rvos.py'))
    assert only_seg.model.actor_nearest_component is False
    assert only_seg.model.actor_target_pair is None
    assert cpu.model.role_word_positions is True
    assert cpu.train_dataloader.dataset.caption_type_repeats == dict(
        unidirectional=5)
    assert cpu.train_cfg.max_iters == 560
    # session 9: half the learning rate (the mask path keeps its 3x)
    assert cpu.optim_wrapper.optimizer.lr == 5e-4
    real = Config.fromfile(osp.join(
        REPO, 'configs', 'reviosa',
        'reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'))
    assert real.model.type == 'ReVIOsA'
    assert 'projects.ReVIOsA.reviosa.cpu_recipe' not in \
        real.custom_imports.imports
    assert real.model.train_token_embeddings == 'new_tokens'
    assert 'prompt_mask_head' not in real.model.sam2
    assert real.model.get('loss_overlap_weight', 0.0) == 0.0
    assert real.model.get('expression_encoder') is None
    assert not real.model.get('target_context_for_actor', False)
    assert not real.model.get('role_word_attention', False)
    assert not real.model.get('role_word_positions', False)
    assert not real.model.get('actor_nearest_component', False)
    assert real.model.get('actor_target_pair') is None
    assert 'paramwise_cfg' not in real.optim_wrapper



def test_quickstart_config_is_the_cpu_recipe_on_two_processes():
    one = Config.fromfile(osp.join(
        REPO, 'configs', 'reviosa',
        'reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py'))
    two = Config.fromfile(osp.join(
        REPO, 'configs', 'reviosa',
        'reviosa_tiny-internvl_tiny-sam2_2xb4-900it-cpu_synthetic-rvos.py'))
    # the same model and optimiser; the global batch stays 8 on 2 processes
    assert two.model == one.model
    assert two.optim_wrapper == one.optim_wrapper
    assert (one.train_dataloader.batch_size,
            two.train_dataloader.batch_size) == (8, 4)
    # session 10: 900 iterations, the warm-up 5 % as before, the cosine
    # ending with the training, one checkpoint at the end
    assert two.train_cfg.max_iters == two.train_cfg.val_interval == 900
    warm, cosine = two.param_scheduler
    assert (warm.end, cosine.begin, cosine.end) == (45, 45, 900)
    assert two.default_hooks.checkpoint.interval == 900
    assert [m['type'] for m in two.val_evaluator] == [
        'RVOSJFMetric', 'ReVIOsAActorTargetMetric']
    quickstart = open(osp.join(REPO, 'tools', 'quickstart.sh')).read()
    assert ('reviosa_tiny-internvl_tiny-sam2_2xb4-900it-cpu_synthetic-rvos.py'
            in quickstart)

TINY_TEXT = dict(type='RVOSHFTextEncoder', config=dict(
    hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
    intermediate_size=32))


def test_expression_encoder_prompt_layout_and_training():
    torch.manual_seed(0)
    model = MODELS.build(tiny_recipe_cfg(expression_encoder=TINY_TEXT))
    assert not any(p.requires_grad
                   for p in model.text_encoder.parameters())  # frozen
    text = model.encode_expressions(['the red square', 'a small blue disc'])
    seg = torch.randn(1, model.projector.mlp[0].in_features)
    for row in (0, 1):
        n_words = int(text['mask'][row].sum())
        prompt = model.build_prompt(seg, text, row)
        assert prompt.shape == (1, 1 + n_words, model.sam2.hidden_dim)
        # token 0 = projected seg state + projected pooled expression
        expected = model.projector(seg)[:, 0] + model.text_proj(
            text['pooled'][row:row + 1])
        torch.testing.assert_close(prompt[:, 0], expected)
        words = text['hidden'][row][text['mask'][row]]
        torch.testing.assert_close(prompt[0, 1:], model.text_proj(words))
    # without the option: the paper's single projected seg token
    torch.testing.assert_close(model.build_prompt(seg),
                               model.projector(seg))
    model.train()
    model._rng.seed(0)
    losses = model(**_batch(model), mode='loss')
    sum(losses.values()).backward()
    assert model.text_proj.weight.grad.abs().sum() > 0
    assert [n for n, p in model.named_parameters()
            if p.requires_grad and p.grad is None] == []


def test_head_text_concatenates_words_and_seg_role():
    torch.manual_seed(0)
    sam2 = dict(HEAD_SAM2)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, expression_encoder=TINY_TEXT,
        video_inference='per_frame'))
    c_t, c = model.text_encoder.hidden_size, model.sam2.hidden_dim
    # the head's FiLM / attention width = text width + prompt width
    assert model.sam2.prompt_head.out_film.proj.in_features == c_t + c
    text = model.encode_expressions(['the red square', 'a blue disc'])
    seg = torch.randn(1, model.projector.mlp[0].in_features)
    ht = model.build_head_text(seg, text, 1)
    n = text['hidden'].size(1)
    assert ht['hidden'].shape == (1, n, c_t + c)
    role = model.projector(seg)[:, 0]
    torch.testing.assert_close(ht['hidden'][0, :, :c_t], text['hidden'][1])
    torch.testing.assert_close(ht['hidden'][0, :, c_t:],
                               role.expand(n, -1))
    torch.testing.assert_close(
        ht['pooled'], torch.cat([text['pooled'][1:2], role], dim=-1))
    assert torch.equal(ht['mask'], text['mask'][1:2])
    # the seg-token role changes the head's logits once FiLM is trained
    with torch.no_grad():
        for film in [*model.sam2.prompt_head.films,
                     model.sam2.prompt_head.out_film]:
            film.proj.weight.normal_(0, 0.5)
    feats = model.sam2.encode(torch.randn(2, 3, 16, 16))
    prompt = model.build_prompt(seg, text, 1).expand(2, -1, -1)
    ht2 = model.build_head_text(torch.randn_like(seg), text, 1)
    a = model.sam2.prompt_head_logits(feats['raw_maps'], prompt, (16, 16), ht)
    b = model.sam2.prompt_head_logits(feats['raw_maps'], prompt, (16, 16),
                                      ht2)
    assert (a - b).abs().max() > 1e-3
    # without a prompt head there is no head text
    plain = MODELS.build(tiny_recipe_cfg(expression_encoder=TINY_TEXT))
    assert plain.build_head_text(seg, text, 0) is None


def _record_contexts(model, monkeypatch) -> list:
    """Wrap ``model.sam2.segment_frames``; returns the list it appends each
    call's context to (None when the call has no context)."""
    seen = []
    real = model.sam2.segment_frames

    def spy(feats, prompt, frame_inds=None, head_text=None, context=None):
        seen.append(None if context is None else context.clone())
        return real(feats, prompt, frame_inds, head_text, context)

    monkeypatch.setattr(model.sam2, 'segment_frames', spy)
    return seen


def _train_and_predict_contexts(model, monkeypatch, channels: int):
    """Check that the head reads ``channels`` context channels in one
    training step and one prediction; returns the training context of the
    actor of the sample with a target (M, K, H, W) and the batch."""
    assert model.sam2.prompt_head.laterals[0][0].in_channels == \
        model.sam2.lite.out_channels[0] + channels
    seen = _record_contexts(model, monkeypatch)
    model.train()
    data = _batch(model)
    model._rng.seed(0)
    losses = model(**data, mode='loss')
    sum(losses.values()).backward()
    ctx = seen[1]  # actor of the sample with a target
    assert ctx.size(1) == channels
    # inference: the predicted target's context
    seen.clear()
    model.eval()
    with torch.no_grad():
        model(**data, mode='predict')
    assert all(c is None or c.size(1) == channels for c in seen)
    return ctx, data


def test_append_context_resizes_and_zero_fills():
    maps = [torch.randn(2, 3, 8, 8), torch.randn(2, 5, 4, 4)]
    ctx = torch.zeros(2, 1, 16, 16)
    ctx[:, :, :8, :8] = 1.0  # top-left quadrant
    one = SimpleNamespace(prompt_head_context=1)
    out = ReVIOsACPUSAM2.append_context(one, maps, ctx)
    assert [o.shape[1] for o in out] == [4, 6]
    torch.testing.assert_close(out[0][:, :3], maps[0])
    # bilinear resize of a quadrant: 1 inside, 0 far outside
    assert out[1][0, -1, 0, 0] == 1.0 and out[1][0, -1, 3, 3] == 0.0
    zeros = ReVIOsACPUSAM2.append_context(one, maps, None)
    assert all(z[:, -1].abs().sum() == 0 for z in zeros)
    # K context channels: zeros of width K, and a wrong width is an error
    three = SimpleNamespace(prompt_head_context=3)
    assert [o.shape[1] for o in ReVIOsACPUSAM2.append_context(
        three, maps, None)] == [6, 8]
    with pytest.raises(ValueError, match='expects 3'):
        ReVIOsACPUSAM2.append_context(three, maps, ctx)


def test_proximity_maps_hand_computed():
    mask = torch.zeros(1, 1, 10, 10)
    mask[0, 0, 5, 5] = 1.0
    # radii 0.1 and 0.2 of min(H, W) = 10 -> 1 and 2 pixels
    out = proximity_maps(mask, (0.1, 0.2))
    assert out.shape == (1, 2, 10, 10)
    near = torch.zeros(10, 10)
    near[4:7, 4:7] = 1.0
    torch.testing.assert_close(out[0, 0], near)
    far = torch.zeros(10, 10)
    far[3:8, 3:8] = 1.0
    torch.testing.assert_close(out[0, 1], far)
    # a tiny radius still dilates by one pixel; bad input is an error
    torch.testing.assert_close(proximity_maps(mask, (0.01,))[0, 0], near)
    with pytest.raises(ValueError, match='> 0'):
        proximity_maps(mask, (0.0,))
    with pytest.raises(ValueError, match='T, 1, H, W'):
        proximity_maps(mask[0], (0.1,))


def test_proximity_maps_equal_the_square_max_filter():
    torch.manual_seed(0)
    mask = (torch.rand(3, 1, 20, 24) > 0.95).float()
    out = proximity_maps(mask, (0.1, 0.25))  # 2 and 5 pixels
    for c, k in enumerate((2, 5)):
        square = torch.nn.functional.max_pool2d(mask, 2 * k + 1, stride=1,
                                                padding=k)
        torch.testing.assert_close(out[:, c:c + 1], square)


def test_temporal_max_hand_computed():
    mask = torch.zeros(4, 1, 1, 4)
    for t in range(4):
        mask[t, 0, 0, t] = 1.0  # the object moves one pixel per frame
    # test video: frames 0-3, window 3 -> the union of t-1, t, t+1
    out = temporal_max(mask, [0, 1, 2, 3], 3)[:, 0, 0]
    torch.testing.assert_close(out, torch.tensor([
        [1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0],
        [0.0, 0.0, 1.0, 1.0]]))
    # a training clip sampled every 2 frames: window 3 sees no neighbour,
    # window 5 sees one on each side
    torch.testing.assert_close(temporal_max(mask, [0, 2, 4, 6], 3), mask)
    torch.testing.assert_close(temporal_max(mask, [0, 2, 4, 6], 5),
                               temporal_max(mask, [0, 1, 2, 3], 3))
    with pytest.raises(ValueError, match='odd'):
        temporal_max(mask, [0, 1, 2, 3], 4)


@pytest.mark.parametrize('name, arg', [('temporal_max', 3),
                                       ('past_frames', 1)])
def test_clip_functions_check_their_frame_indices(name, arg):
    import projects.ReVIOsA.reviosa.cpu_recipe.actor_context as reviosa_module
    fn = getattr(reviosa_module, name)
    mask = torch.zeros(4, 1, 2, 2)
    with pytest.raises(ValueError, match=f'{name}: frame indices must '
                       'increase'):
        fn(mask, [0, 2, 1, 3], arg)
    with pytest.raises(ValueError, match=f'{name}: 3 frame indices'):
        fn(mask, [0, 1, 2], arg)
    with pytest.raises(ValueError, match=rf'{name} expects \(T, 1, H, W\)'):
        fn(mask[:, 0], [0, 1, 2, 3], arg)


def test_target_context_window_adds_path_channels(monkeypatch):
    torch.manual_seed(0)
    sam2 = dict(HEAD_SAM2)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, target_context_for_actor=True, target_context_radii=(0.1,),
        target_context_window=5, video_inference='per_frame'))
    ctx, data = _train_and_predict_contexts(model, monkeypatch, 4)
    inds = data['data_samples'][1].metainfo['frame_inds']
    torch.testing.assert_close(ctx[:, 1:2], proximity_maps(ctx[:, :1],
                                                           (0.1,)))
    torch.testing.assert_close(ctx[:, 2:3], temporal_max(ctx[:, :1], inds,
                                                         5))
    torch.testing.assert_close(ctx[:, 3:4], proximity_maps(ctx[:, 2:3],
                                                           (0.1,)))
    for bad in (4, -1):
        with pytest.raises(ValueError, match='odd'):
            MODELS.build(tiny_recipe_cfg(
                sam2=sam2, target_context_for_actor=True,
                target_context_window=bad, video_inference='per_frame'))
    with pytest.raises(ValueError, match='target_context_window'):
        MODELS.build(tiny_recipe_cfg(sam2=sam2, target_context_window=3,
                                    video_inference='per_frame'))


def test_target_context_radii_add_proximity_channels(monkeypatch):
    torch.manual_seed(0)
    sam2 = dict(HEAD_SAM2)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, target_context_for_actor=True,
        target_context_radii=(0.1, 0.3), video_inference='per_frame'))
    ctx, _ = _train_and_predict_contexts(model, monkeypatch, 3)
    torch.testing.assert_close(ctx[:, 1:], proximity_maps(ctx[:, :1],
                                                          (0.1, 0.3)))
    with pytest.raises(ValueError, match='target_context_radii'):
        MODELS.build(tiny_recipe_cfg(sam2=sam2, target_context_radii=(0.1,),
                                    video_inference='per_frame'))
    # only [SEG]: no target mask to read
    with pytest.raises(ValueError, match="token_mode='single'"):
        MODELS.build(tiny_recipe_cfg(
            sam2=sam2, target_context_for_actor=True, token_mode='single',
            target_token=None, video_inference='per_frame'))


def test_target_context_for_actor_uses_gt_in_training_pred_at_inference(
        monkeypatch):
    torch.manual_seed(0)
    sam2 = dict(HEAD_SAM2)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, target_context_for_actor=True,
        video_inference='per_frame'))
    head = model.sam2.prompt_head
    assert head.laterals[0][0].in_channels == \
        model.sam2.lite.out_channels[0] + 1
    seen = _record_contexts(model, monkeypatch)
    model.train()
    data = _batch(model)
    model._rng.seed(0)
    model(**data, mode='loss')
    # calls: actor s0 (no target), actor s1 (target), target s1
    assert seen[0] is None
    gt = data['data_samples'][1].video_data_samples[0].gt_target_mask.data
    torch.testing.assert_close(seen[1][0, 0],
                               gt[0, :seen[1].size(-2), :seen[1].size(-1)]
                               .float())
    assert seen[2] is None  # the target itself gets no context
    with pytest.raises(ValueError, match='prompt_mask_head'):
        MODELS.build(tiny_recipe_cfg(target_context_for_actor=True))


def test_keep_nearest_component_hand_computed():
    from projects.ReVIOsA.reviosa.cpu_recipe.pair_selection import keep_nearest_component
    actor = torch.full((2, 1, 10), -5.0)
    target = torch.full((2, 1, 10), -5.0)
    # frame 0: actor regions at x 0-1 and x 6; target at x 8 -> keep x 6
    actor[0, 0, [0, 1, 6]] = 3.0
    target[0, 0, 8] = 3.0
    # frame 1: one actor region -> unchanged even though far from the target
    actor[1, 0, [0, 1]] = 3.0
    target[1, 0, 9] = 3.0
    out = keep_nearest_component(actor, target)
    assert (out[0, 0] > 0).nonzero().flatten().tolist() == [6]
    assert out[0, 0, 0] <= -20.0
    torch.testing.assert_close(out[1], actor[1])
    # a region lying inside the target is the target, not a candidate: the
    # actor keeps its other region, however far, and loses that one
    leak = actor.clone()
    leak[0, 0, 6] = -5.0
    leak[0, 0, 8] = 3.0
    out = keep_nearest_component(leak, target)
    assert (out[0, 0] > 0).nonzero().flatten().tolist() == [0, 1]
    # every region inside the target: unchanged
    inside = torch.full_like(actor, -5.0)
    inside[0, 0, [2, 8]] = 3.0
    wide = torch.full_like(target, -5.0)
    wide[0, 0, :] = 3.0
    torch.testing.assert_close(keep_nearest_component(inside, wide), inside)
    # no target in a frame: unchanged
    torch.testing.assert_close(
        keep_nearest_component(actor, torch.full_like(target, -5.0)), actor)
    with pytest.raises(ValueError, match='T, H, W'):
        keep_nearest_component(actor[0], target[0])


def _train_step_then_predict_both_tokens(model, calls: list) -> list:
    """One loss step (an inference-only rule must not run: ``calls`` stays
    empty), then predict with both seg tokens "generated" (a random tiny
    LLM rarely emits them); returns the predicted samples."""
    data = _batch(model)
    model.train()
    model._rng.seed(0)
    model(**data, mode='loss')
    assert calls == []
    model.eval()
    hidden = model.mllm.config.text_config.hidden_size
    model._seg_embeddings = lambda question, pixels: dict(
        answer='[SEG_ACT] [SEG_TAR]', act=torch.randn(1, hidden),
        tar=torch.randn(1, hidden))
    with torch.no_grad():
        return model(**data, mode='predict')


def test_actor_nearest_component_runs_at_inference_only(monkeypatch):
    import projects.ReVIOsA.reviosa.cpu_recipe.model as reviosa_module
    torch.manual_seed(0)
    sam2 = dict(HEAD_SAM2)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, actor_nearest_component=True,
        video_inference='per_frame'))
    calls = []
    real = reviosa_module.keep_nearest_component

    def spy(actor, target, threshold=0.5):
        calls.append((actor.shape, target.shape))
        return real(actor, target, threshold)

    monkeypatch.setattr(reviosa_module, 'keep_nearest_component', spy)
    out = _train_step_then_predict_both_tokens(model, calls)
    # one call per video, on its (T, H, W) actor and target logits
    assert len(calls) == len(out)
    assert all(a == t and len(a) == 3 for a, t in calls)
    with pytest.raises(ValueError, match="token_mode='single'"):
        MODELS.build(tiny_recipe_cfg(
            sam2=sam2, actor_nearest_component=True, token_mode='single',
            target_token=None, video_inference='per_frame'))


def test_context_logit_prior_hand_computed():
    from projects.ReVIOsA.reviosa.cpu_recipe.sam2_adapter import ContextLogitPrior
    prior = ContextLogitPrior(2)
    ctx = torch.zeros(1, 2, 4, 4)
    ctx[0, 0, :2, :2] = 1.0   # channel 0: top-left quadrant
    ctx[0, 1, :, :2] = 1.0    # channel 1: left half
    # zero-initialised: no offset at the start
    assert prior(ctx, (2, 2)).abs().sum() == 0
    with torch.no_grad():
        prior.proj.weight.copy_(torch.tensor([2.0, -1.0]).view(1, 2, 1, 1))
        prior.proj.bias.fill_(0.5)
    # area resampling to 2x2: each cell is one 2x2 quadrant
    out = prior(ctx, (2, 2))
    torch.testing.assert_close(
        out[0, 0], torch.tensor([[2.0 - 1.0 + 0.5, 0.5], [-1.0 + 0.5, 0.5]]))
    # to 1x1: the fractions 1/4 and 1/2
    torch.testing.assert_close(out.new_tensor([[2.0 / 4 - 1.0 / 2 + 0.5]]),
                               prior(ctx, (1, 1))[0, 0])
    with pytest.raises(ValueError, match='expects 2'):
        prior(ctx[:, :1], (2, 2))


def test_target_context_prior_adds_to_actor_logits_only(monkeypatch):
    torch.manual_seed(0)
    sam2 = dict(HEAD_SAM2)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, target_context_for_actor=True, target_context_radii=(0.1,),
        target_context_prior=True, video_inference='per_frame'))
    prior = model.sam2.context_prior
    assert prior.proj.in_channels == 2
    calls = []
    real = type(prior).forward

    def spy(self, context, size):
        out = real(self, context, size)
        calls.append(out)
        return out

    monkeypatch.setattr(type(prior), 'forward', spy)
    data = _batch(model)
    model.train()
    model._rng.seed(0)
    losses = model(**data, mode='loss')
    # one call: the actor of the sample with a target (no context for the
    # other sample's actor or for any target)
    assert len(calls) == 1
    sum(losses.values()).backward()
    assert prior.proj.weight.grad is not None
    assert prior.proj.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='target_context_prior'):
        MODELS.build(tiny_recipe_cfg(sam2=sam2, target_context_prior=True,
                                    video_inference='per_frame'))
    with pytest.raises(ValueError, match='prompt_head_context'):
        ReVIOsACPUSAM2(**dict(HEAD_SAM2, prompt_head_context_prior=True))


def test_past_frames_hand_computed():
    from projects.ReVIOsA.reviosa.cpu_recipe.actor_context import past_frames
    mask = torch.arange(4.0).view(4, 1, 1, 1)  # frame t holds the value t
    # a training clip every 2 video frames, delay 2: one clip step back;
    # the first frame has no past and keeps itself
    out = past_frames(mask, [0, 2, 4, 6], 2)
    assert out.flatten().tolist() == [0.0, 0.0, 1.0, 2.0]
    # consecutive test frames, same delay: two steps back
    assert past_frames(mask, [0, 1, 2, 3], 2).flatten().tolist() == \
        [0.0, 0.0, 0.0, 1.0]
    # an uneven clip: the latest frame at least `delay` back
    assert past_frames(mask, [0, 1, 5, 6], 2).flatten().tolist() == \
        [0.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match='>= 1'):
        past_frames(mask, [0, 1, 2, 3], 0)


def test_target_context_past_adds_motion_channels(monkeypatch):
    from projects.ReVIOsA.reviosa.cpu_recipe.actor_context import past_frames
    torch.manual_seed(0)
    sam2 = dict(HEAD_SAM2)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, target_context_for_actor=True, target_context_radii=(0.1,),
        target_context_past=2, video_inference='per_frame'))
    ctx, data = _train_and_predict_contexts(model, monkeypatch, 4)
    inds = data['data_samples'][1].metainfo['frame_inds']
    torch.testing.assert_close(ctx[:, 2:3], past_frames(ctx[:, :1], inds, 2))
    torch.testing.assert_close(ctx[:, 3:4], proximity_maps(ctx[:, 2:3],
                                                           (0.1,)))
    with pytest.raises(ValueError, match='>= 1|number of frames'):
        MODELS.build(tiny_recipe_cfg(
            sam2=sam2, target_context_for_actor=True, target_context_past=-1,
            video_inference='per_frame'))
    with pytest.raises(ValueError, match='target_context_past'):
        MODELS.build(tiny_recipe_cfg(sam2=sam2, target_context_past=2,
                                    video_inference='per_frame'))
    with pytest.raises(ValueError, match='frame indices'):
        model.actor_context(torch.zeros(2, 1, 8, 8), None)


def _row_maps(num_frames=1):
    """(T, 10, 10) logits of -5 (p < .01): regions drawn on row 0."""
    return torch.full((num_frames, 10, 10), -5.0)


def test_select_actor_target_pair_hand_computed():
    from projects.ReVIOsA.reviosa.cpu_recipe.pair_selection import select_actor_target_pair
    actor, target = _row_maps(), _row_maps()
    actor[0, 0, 0:2] = 3.0    # A1: p .953, 7 px from the target
    actor[0, 0, 6] = -0.5     # A2: p .378 (under the mask threshold), 2 px
    target[0, 0, 8] = 3.0
    # lambda 5, S = 10: A1 log .953 - 5 * .7 = -3.55; A2 log .378 - 5 * .2
    # = -1.97 -> A2 is kept and becomes foreground, A1 is dropped
    act, tar = select_actor_target_pair(actor, target)
    assert (act[0] > 0).nonzero().tolist() == [[0, 6]]
    assert act[0, 0, 6] == 1.0 and act[0, 0, 0] <= -20.0
    torch.testing.assert_close(tar, target)
    # lambda 1: A1 -0.05 - 0.7 = -0.75 beats A2 -0.97 - 0.2 = -1.17
    act, _ = select_actor_target_pair(actor, target, distance_weight=1.0)
    assert (act[0] > 0).nonzero().tolist() == [[0, 0], [0, 1]]
    assert act[0, 0, 0] == 3.0 and act[0, 0, 6] <= -20.0
    # the target is chosen jointly: T2 (p .5, 2 px from A1) beats T1 (p
    # .953, 7 px): log .953 + log .5 - 1.0 = -1.74 > 2 log .953 - 3.5
    one = _row_maps()
    one[0, 0, 0:2] = 3.0
    two = target.clone()
    two[0, 0, 3] = 0.0
    act, tar = select_actor_target_pair(one, two)
    assert (tar[0] > 0).nonzero().tolist() == [[0, 3]]
    assert tar[0, 0, 8] <= -20.0
    torch.testing.assert_close(act, one)
    # a region inside the target region is not its actor: no pair, unchanged
    inside = _row_maps()
    inside[0, 0, 8] = 3.0
    act, tar = select_actor_target_pair(inside, target)
    torch.testing.assert_close(act, inside)
    # no target region in a frame: unchanged
    act, tar = select_actor_target_pair(actor, _row_maps())
    torch.testing.assert_close(act, actor)
    with pytest.raises(ValueError, match='T, H, W'):
        select_actor_target_pair(actor[0], target[0])
    with pytest.raises(ValueError, match=r'\(0, 1\)'):
        select_actor_target_pair(actor, target, threshold=1.0)


def test_actor_target_pair_runs_at_inference_and_sets_both_masks(
        monkeypatch):
    import projects.ReVIOsA.reviosa.cpu_recipe.model as reviosa_module
    torch.manual_seed(0)
    sam2 = dict(HEAD_SAM2)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, actor_target_pair=dict(threshold=0.3,
                                          distance_weight=5.0),
        video_inference='per_frame'))
    calls = []

    def spy(actor, target, **kwargs):
        calls.append(kwargs)
        # every pixel: actor foreground, target background
        return actor.new_full(actor.shape, 9.0), target.new_full(
            target.shape, -9.0)

    monkeypatch.setattr(reviosa_module, 'select_actor_target_pair', spy)
    out = _train_step_then_predict_both_tokens(model, calls)
    assert calls == [dict(mask_threshold=0.5, threshold=0.3,
                          distance_weight=5.0)] * len(out)
    from rvos_plugin.structures.rvos_sample import stack_frame_masks
    for sample in out:   # both outputs are the selection's
        assert stack_frame_masks(sample, 'pred_mask').all()
        assert not stack_frame_masks(sample, 'pred_target_mask').any()
    with pytest.raises(ValueError, match='unknown keys'):
        MODELS.build(tiny_recipe_cfg(sam2=sam2, actor_target_pair=dict(
            radius=1), video_inference='per_frame'))
    with pytest.raises(ValueError, match='replaces actor_nearest_component'):
        MODELS.build(tiny_recipe_cfg(
            sam2=sam2, actor_target_pair={}, actor_nearest_component=True,
            video_inference='per_frame'))
    with pytest.raises(ValueError, match="token_mode='single'"):
        MODELS.build(tiny_recipe_cfg(
            sam2=sam2, actor_target_pair={}, token_mode='single',
            target_token=None, video_inference='per_frame'))


@pytest.mark.parametrize('video_inference', ['propagate', 'per_frame'])
def test_mask_refinement_applies_to_every_frame(video_inference):
    """The refinement sees each frame with its own logits at the frames'
    size, chunk by chunk, in both inference modes."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_recipe_cfg()).eval()
    model.video_inference, old_chunk = video_inference, model.frame_chunk
    seen = []

    class Spy(torch.nn.Module):

        def forward(self, images, probs):
            seen.append((images.shape, probs.shape))
            return torch.ones_like(probs)  # everything foreground

    hidden = model.mllm.config.text_config.hidden_size
    # both seg tokens "generated" (a random tiny LLM rarely emits them)
    model._seg_embeddings = lambda question, pixels: dict(
        answer='[SEG_ACT] [SEG_TAR]', act=torch.randn(1, hidden),
        tar=torch.randn(1, hidden))
    model.mask_refinement, model.frame_chunk = Spy(), 2
    try:
        data = model.data_preprocessor(demo_rvos_batch(1, 5, (20, 26)),
                                       False)
        with torch.no_grad():
            out = model(**data, mode='predict')
    finally:
        del model._seg_embeddings
        model.mask_refinement, model.frame_chunk = None, old_chunk
        model.video_inference = 'propagate'
    frames = out[0].video_data_samples
    assert all(f.pred_mask.data.all() for f in frames)
    assert all(f.pred_target_mask.data.all() for f in frames)
    # actor + target, chunks of 2, 2, 1 frames, each (n, 3, H, W) / (n, 1, ..)
    H, W = data['inputs'].shape[-2:]
    assert [s for s in seen] == [
        ((n, 3, H, W), (n, 1, H, W)) for n in (2, 2, 1)] * 2
    built = MODELS.build(tiny_recipe_cfg(
        mask_refinement=dict(type='PixelAdaptiveRefinement')))
    assert type(built.mask_refinement).__name__ == 'PixelAdaptiveRefinement'


def test_exclusive_logits_hand_computed():
    """threshold 0.5 -> logit 0. Pixel by pixel (actor, target):
    (2, 1) both fg, actor larger -> target to background; (1, 3) both fg,
    target larger -> actor to background; (2, 2) tie -> the actor keeps it;
    (-1, 5) and (4, -2): only one is fg, nothing changes."""
    act = torch.tensor([[[2., 1., 2., -1., 4.]]])
    tar = torch.tensor([[[1., 3., 2., 5., -2.]]])
    a, t = exclusive_logits(act, tar)
    assert a.tolist() == [[[2., -1e4, 2., -1., 4.]]]
    assert t.tolist() == [[[-1e4, 3., -1e4, 5., -2.]]]
    # threshold 0.9 -> logit 2.197: only (4, -2) and (-1, 5) are fg in one
    a, t = exclusive_logits(act, tar, threshold=0.9)
    assert torch.equal(a, act) and torch.equal(t, tar)


def test_exclusive_actor_target_decoding_gives_disjoint_masks():
    torch.manual_seed(0)
    model = MODELS.build(tiny_recipe_cfg()).eval()
    hidden = model.mllm.config.text_config.hidden_size
    emb = torch.randn(1, hidden)
    # the same embedding for both tokens: without the switch, equal masks
    model._seg_embeddings = lambda question, pixels: dict(
        answer='[SEG_ACT] [SEG_TAR]', act=emb, tar=emb.clone())
    model.mask_threshold = 0.3
    try:
        data = model.data_preprocessor(demo_rvos_batch(1, 3, (20, 26)),
                                       False)
        with torch.no_grad():
            plain = model(**copy.deepcopy(data), mode='predict')
            model.exclusive_actor_target = True
            excl = model(**data, mode='predict')
    finally:
        del model._seg_embeddings
        model.exclusive_actor_target, model.mask_threshold = False, 0.5
    for f in plain[0].video_data_samples:
        assert torch.equal(f.pred_mask.data, f.pred_target_mask.data)
    assert any(f.pred_mask.data.any() for f in plain[0].video_data_samples)
    for p, e in zip(plain[0].video_data_samples,
                    excl[0].video_data_samples):
        assert not (e.pred_mask.data & e.pred_target_mask.data).any()
        # the tie goes to the actor: it keeps its mask, the target loses it
        assert torch.equal(e.pred_mask.data, p.pred_mask.data)
