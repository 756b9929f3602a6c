"""Role-specific word attention of the ReVIOsA CPU head text
(``model.role_word_attention``)."""
import math

import pytest
import torch
from reviosa_tiny import TINY_SAM2, tiny_recipe_cfg

from projects.ReVIOsA.reviosa.cpu_recipe.role_word_attention import (
    RoleWordAttention, relative_positions)
from rvos_plugin.registry import MODELS

HEAD = dict(type='RVOSTextFPNMaskHead', channels=16, num_groups=4,
            attn_levels=(), temporal_levels=(1, 2))
TINY_TEXT = dict(type='RVOSHFTextEncoder', config=dict(
    hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
    intermediate_size=32))


def test_hand_computed_weights_pooled_and_gate():
    attn = RoleWordAttention(role_dims=1, word_dims=2, attn_dims=1)
    with torch.no_grad():
        attn.query.weight.fill_(1.0)
        attn.query.bias.zero_()
        attn.key.weight.copy_(torch.tensor([[1.0, 0.0]]))
        attn.key.bias.zero_()
    role = torch.tensor([[math.log(3.0)]])
    # keys 1, 0, 7 (padding) -> logits log3, 0, -inf -> weights 3/4, 1/4, 0
    words = torch.tensor([[[1.0, 2.0], [0.0, 4.0], [7.0, 9.0]]])
    mask = torch.tensor([[True, True, False]])
    pooled, gate = attn(role, words, mask)
    torch.testing.assert_close(pooled, torch.tensor([[0.75, 2.5]]))
    torch.testing.assert_close(gate, torch.tensor([[1.0, 1 / 3, 0.0]]))
    # the other role (-log 3) prefers the other word
    pooled, gate = attn(-role, words, mask)
    torch.testing.assert_close(pooled, torch.tensor([[0.25, 3.5]]))
    torch.testing.assert_close(gate, torch.tensor([[1 / 3, 1.0, 0.0]]))
    with pytest.raises(ValueError, match='no words'):
        attn(role, words, torch.zeros(1, 3, dtype=torch.bool))


def test_hand_computed_position_keys():
    attn = RoleWordAttention(role_dims=1, word_dims=1, attn_dims=1,
                             num_positions=3)
    with torch.no_grad():
        attn.query.weight.fill_(1.0)
        attn.query.bias.zero_()
        attn.key.weight.zero_()  # content-blind keys: only positions
        attn.key.bias.zero_()
        attn.position.copy_(torch.tensor([[math.log(3.0)], [0.0], [5.0]]))
    words = torch.tensor([[[2.0], [6.0]]])
    mask = torch.ones(1, 2, dtype=torch.bool)
    # zero-initialised positions change nothing before training
    assert RoleWordAttention(1, 1, 1, num_positions=3).position.abs().sum() \
        == 0
    # role 1: logits log3, 0 -> weights 3/4, 1/4 -> pooled 3
    pooled, gate = attn(torch.tensor([[1.0]]), words, mask)
    torch.testing.assert_close(pooled, torch.tensor([[3.0]]))
    torch.testing.assert_close(gate, torch.tensor([[1.0, 1 / 3]]))
    # role -1 prefers the second word: weights 1/4, 3/4 -> pooled 5
    pooled, _ = attn(torch.tensor([[-1.0]]), words, mask)
    torch.testing.assert_close(pooled, torch.tensor([[5.0]]))
    with pytest.raises(ValueError, match='num_positions'):
        attn(torch.tensor([[1.0]]), torch.zeros(1, 4, 1),
             torch.ones(1, 4, dtype=torch.bool))


def test_hand_computed_sigmoid_gates():
    attn = RoleWordAttention(role_dims=1, word_dims=2, attn_dims=1,
                             gating='sigmoid')
    with torch.no_grad():
        attn.query.weight.fill_(1.0)
        attn.query.bias.zero_()
        attn.key.weight.copy_(torch.tensor([[1.0, 0.0]]))
        attn.key.bias.zero_()
    # logits log3, 0 -> sigmoids 3/4, 1/2, padding 0 (sigmoid(log 3) = 3/4);
    # gates relative to the strongest: 1, 2/3, 0
    words = torch.tensor([[[1.0, 2.0], [0.0, 4.0], [7.0, 9.0]]])
    mask = torch.tensor([[True, True, False]])
    pooled, gate = attn(torch.tensor([[math.log(3.0)]]), words, mask)
    torch.testing.assert_close(gate, torch.tensor([[1.0, 2 / 3, 0.0]]))
    # pooled = (3/4 * w0 + 1/2 * w1) / (5/4) = (0.6, 2.8)
    torch.testing.assert_close(pooled, torch.tensor([[0.6, 2.8]]))
    # every word nearly switched off (logits -40, -41): the gates do not
    # vanish, the strongest word keeps 1
    _, low = attn(torch.tensor([[-40.0]]), torch.tensor(
        [[[1.0, 0.0], [41.0 / 40.0, 0.0]]]), torch.ones(1, 2, dtype=bool))
    torch.testing.assert_close(low, torch.tensor([[1.0, math.exp(-1.0)]]),
                               rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match='gating'):
        RoleWordAttention(1, 2, 1, gating='hard')


def test_hand_computed_logit_bound():
    attn = RoleWordAttention(role_dims=1, word_dims=1, attn_dims=1,
                             gating='sigmoid', logit_bound=2.0)
    with torch.no_grad():
        attn.query.weight.fill_(1.0)
        attn.query.bias.zero_()
        attn.key.weight.fill_(1.0)
        attn.key.bias.zero_()
    # raw logits 0 and -100 -> bounded 2 tanh(0) = 0 and 2 tanh(-50) = -2;
    # gates sigmoid(-2) / sigmoid(0) = 2 / (1 + e^2), not ~0
    words = torch.tensor([[[0.0], [-100.0]]])
    mask = torch.ones(1, 2, dtype=torch.bool)
    _, gate = attn(torch.tensor([[1.0]]), words, mask)
    torch.testing.assert_close(
        gate, torch.tensor([[1.0, 2.0 / (1.0 + math.exp(2.0))]]))
    # never below sigmoid(-b) / sigmoid(b) = e^-b of the strongest word
    _, gate = attn(torch.tensor([[1.0]]), torch.tensor([[[5.0], [-5.0]]]),
                   mask)
    assert gate[0, 1] >= math.exp(-2.0) - 1e-6
    with pytest.raises(ValueError, match='logit_bound'):
        RoleWordAttention(1, 1, 1, logit_bound=0.0)


def test_relative_positions_hand_computed():
    mask = torch.tensor([[True, True, True, False], [True, False, False,
                                                     False]])
    torch.testing.assert_close(relative_positions(mask), torch.tensor(
        [[-1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]))


def test_hand_computed_position_prior():
    attn = RoleWordAttention(role_dims=1, word_dims=1, attn_dims=1,
                             gating='softmax', num_roles=2,
                             position_prior=math.log(3.0) / 2)
    with torch.no_grad():  # content-blind: only the position prior
        attn.query.weight.zero_()
        attn.query.bias.zero_()
        attn.role_query.zero_()
        attn.key.weight.zero_()
        attn.key.bias.zero_()
    # slopes -log3/2 (actor) and +log3/2 (target); positions -1, 1 ->
    # actor logits log3/2, -log3/2 -> softmax 3/4, 1/4; the target mirrored
    torch.testing.assert_close(attn.position_slope.detach(), torch.tensor(
        [-math.log(3.0) / 2, math.log(3.0) / 2]))
    words = torch.tensor([[[2.0], [6.0]]])
    mask = torch.ones(1, 2, dtype=torch.bool)
    role = torch.zeros(1, 1)
    pooled, gate = attn(role, words, mask, role_index=0)
    torch.testing.assert_close(pooled, torch.tensor([[3.0]]))
    torch.testing.assert_close(gate, torch.tensor([[1.0, 1 / 3]]))
    pooled, gate = attn(role, words, mask, role_index=1)
    torch.testing.assert_close(pooled, torch.tensor([[5.0]]))
    with pytest.raises(ValueError, match='num_roles'):
        RoleWordAttention(1, 1, 1, position_prior=1.0)


def test_hand_computed_role_queries():
    attn = RoleWordAttention(role_dims=1, word_dims=1, attn_dims=1,
                             num_roles=2)
    with torch.no_grad():
        attn.query.weight.zero_()  # the role state says nothing
        attn.query.bias.zero_()
        attn.key.weight.fill_(1.0)
        attn.key.bias.zero_()
        attn.role_query.copy_(torch.tensor([[math.log(3.0)],
                                            [-math.log(3.0)]]))
    words = torch.tensor([[[1.0], [0.0]]])
    mask = torch.ones(1, 2, dtype=torch.bool)
    state = torch.tensor([[5.0]])
    # role 0: logits log3, 0 -> weights 3/4, 1/4 -> pooled 3/4
    pooled, _ = attn(state, words, mask, role_index=0)
    torch.testing.assert_close(pooled, torch.tensor([[0.75]]))
    # role 1, same state: logits -log3, 0 -> weights 1/4, 3/4
    pooled, _ = attn(state, words, mask, role_index=1)
    torch.testing.assert_close(pooled, torch.tensor([[0.25]]))
    with pytest.raises(ValueError, match='role_index'):
        attn(state, words, mask)


def test_model_passes_the_role_of_each_token(monkeypatch):
    sam2 = dict(TINY_SAM2, image_encoder='efficientnet_lite0',
                prompt_mask_head=HEAD)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, expression_encoder=TINY_TEXT,
        role_word_attention=dict(num_roles=2), video_inference='per_frame'))
    seen = []
    real = model.role_word_attention.forward

    def spy(role, words, mask, role_index=None):
        seen.append(role_index)
        return real(role, words, mask, role_index)

    monkeypatch.setattr(model.role_word_attention, 'forward', spy)
    from test_cpu_recipe_options import _batch
    model.train()
    model._rng.seed(0)
    data = _batch(model)
    losses = model(**data, mode='loss')
    sum(losses.values()).backward()
    # actor of both samples, then the target of the sample with one
    assert seen == [0, 0, 1]
    assert model.role_word_attention.role_query.grad is not None
    # inference builds the head text the same way (predict passes
    # role_index=1 for [SEG_TAR])
    seen.clear()
    text = model.encode_expressions(['the red square pushing a blue disc'])
    seg = torch.randn(1, model.projector.mlp[0].in_features)
    model.build_head_text(seg, text, 0, role_index=1)
    assert seen == [1]


def test_sequence_encoder_keys_see_word_order():
    torch.manual_seed(0)
    attn = RoleWordAttention(role_dims=4, word_dims=3, attn_dims=8,
                             sequence_encoder=True, gating='sigmoid')
    words = torch.randn(1, 4, 3)
    mask = torch.tensor([[True, True, True, False]])
    role = torch.randn(1, 4)
    _, gate = attn(role, words, mask)
    # same word states, other order: a per-word key would only permute
    # the gates, the GRU's keys change them
    perm = torch.tensor([2, 1, 0, 3])
    _, gate_p = attn(role, words[:, perm], mask)
    assert (gate_p[0, perm] - gate[0]).abs().max() > 1e-4
    # padding does not leak into the real words' keys
    padded = words.clone()
    padded[0, 3] = 100.0
    torch.testing.assert_close(attn(role, padded, mask)[1], gate)
    assert gate[0, 3] == 0


def test_model_head_text_is_role_specific_and_trains():
    torch.manual_seed(0)
    sam2 = dict(TINY_SAM2, image_encoder='efficientnet_lite0',
                prompt_mask_head=HEAD)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, expression_encoder=TINY_TEXT, role_word_attention=True,
        video_inference='per_frame'))
    text = model.encode_expressions(['the red square pushing a blue disc'])
    c_t = model.text_encoder.hidden_size
    n = int(text['mask'][0].sum())
    with torch.no_grad():
        model.role_word_attention.query.weight.normal_(0, 1.0)
    seg_a, seg_b = torch.randn(2, 1, model.projector.mlp[0].in_features)
    ha = model.build_head_text(seg_a, text, 0)
    hb = model.build_head_text(seg_b, text, 0)
    role = model.projector(seg_a)[:, 0]
    pooled, gate = model.role_word_attention(
        role, text['hidden'][:1], text['mask'][:1])
    torch.testing.assert_close(ha['pooled'][:, :c_t], pooled)
    torch.testing.assert_close(ha['hidden'][0, :, :c_t],
                               text['hidden'][0] * gate[0, :, None])
    # two roles, one sentence: different word weights (impossible with
    # concatenation alone: a constant logit per word cancels in softmax)
    assert (ha['pooled'][:, :c_t] - hb['pooled'][:, :c_t]).abs().max() > 1e-4
    assert gate[0, :n].max() == 1.0
    # trains end to end, every trainable parameter gets a gradient
    from test_cpu_recipe_options import _batch
    # FiLM starts as the identity (zero-init); once it is not, the role's
    # word weights receive a gradient
    with torch.no_grad():
        for film in [*model.sam2.prompt_head.films,
                     model.sam2.prompt_head.out_film]:
            film.proj.weight.normal_(0, 0.5)
    model.train()
    model._rng.seed(0)
    losses = model(**_batch(model), mode='loss')
    sum(losses.values()).backward()
    assert model.role_word_attention.query.weight.grad.abs().sum() > 0
    assert [k for k, p in model.named_parameters()
            if p.requires_grad and p.grad is None] == []


def test_model_position_keys_cover_the_encoder_length():
    sam2 = dict(TINY_SAM2, image_encoder='efficientnet_lite0',
                prompt_mask_head=HEAD)
    model = MODELS.build(tiny_recipe_cfg(
        sam2=sam2, expression_encoder=dict(TINY_TEXT, max_length=12),
        role_word_attention=True, role_word_positions=True,
        video_inference='per_frame'))
    assert tuple(model.role_word_attention.position.shape) == (12, 64)
    with pytest.raises(ValueError, match='role_word_positions'):
        MODELS.build(tiny_recipe_cfg(
            sam2=sam2, expression_encoder=TINY_TEXT,
            role_word_positions=True, video_inference='per_frame'))


def test_needs_expression_encoder_and_prompt_head():
    with pytest.raises(ValueError, match='role_word_attention'):
        MODELS.build(tiny_recipe_cfg(role_word_attention=True,
                                    expression_encoder=TINY_TEXT))
