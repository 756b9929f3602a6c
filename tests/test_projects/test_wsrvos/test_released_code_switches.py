"""The released-code switches of WSRVOS (viscom-tongji/WSRVOS, c00a8775):
each one changes the numbers as the released code does, and nothing when
off (the paper's defaults)."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from _wsrvos_helpers import make_sample, tiny_model_cfg
from projects.WSRVOS.wsrvos.encoding import BlockwiseEncoders
from projects.WSRVOS.wsrvos.feature_selection import (WSRVOSFeatureSelection,
                                                      masked_mean)
from projects.WSRVOS.wsrvos.interaction import WSRVOSBiDirectionalInteraction
from rvos_plugin.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TEXTS = [['the red circle moving left', 'a blue square', 'a dog',
          'the red circle that is big', 'a green star']]
POSITIVE = torch.tensor([[True, False, False, True, False]])
VALID = torch.ones(1, 5, dtype=torch.bool)


def _features(model, frames):
    slots = dict(texts=TEXTS, valid=VALID, positive=POSITIVE)
    with torch.no_grad():
        return model._training_features(frames, slots, None)


def _seeded(**overrides):
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg(**overrides)).eval()


# 1 ------------------------------------------------------------------------
def test_selection_condition_all_slots_interaction_positives():
    """Released code: every slot's top-K_V tokens amplify the video, the
    video attends to the positives only."""
    frames = torch.randn(1, 2, 3, 64, 64)
    model = _seeded(condition_on='positives',
                    selection_condition_on='all_slots')
    seen = {}
    encoders = model.encoders

    def spy(frames_, texts, condition, **kwargs):
        seen['selection'] = condition.clone()
        return encoders(frames_, texts, condition, **kwargs)
    model.encoders = spy
    model.interaction.register_forward_hook(
        lambda m, args, out: seen.update(interaction=args[3].clone()))
    released = _features(model, frames)
    assert torch.equal(seen['selection'], VALID)
    assert torch.equal(seen['interaction'], POSITIVE)
    # the switch does something: the positives-only selection differs
    positives = _features(_seeded(condition_on='positives'), frames)
    assert not torch.allclose(released['visual'], positives['visual'])
    # and its encoder features are those of the all-slots model
    all_slots = _seeded(condition_on='all_slots')
    with torch.no_grad():
        a = all_slots.encoders(frames, TEXTS, VALID)[0]
        b = encoders(frames, TEXTS, VALID)[0]
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match='selection_condition_on'):
        MODELS.build(tiny_model_cfg(condition_on='original',
                                    selection_condition_on='all_slots'))


# 2 ------------------------------------------------------------------------
def _hand_selector(v2l_visual):
    sel = WSRVOSFeatureSelection(2, 2, k_v=1, k_z=1,
                                 scorer='released_linear',
                                 v2l_visual=v2l_visual)
    sel.released_t2v_weight.copy_(torch.eye(2))
    sel.released_t2v_bias.zero_()
    sel.released_v2t_weight.copy_(torch.eye(2))
    sel.released_v2t_bias.copy_(torch.tensor([0., 1.]))
    return sel


@pytest.mark.parametrize('v2l_visual,text_out', [
    # summary W(2, 0) + b = (2, 1): token (0.8, 0.6) wins (0.984 > 0.894)
    ('input', [[1., 0.], [1.6, 1.2]]),
    # summary of the amplified token W(4, 0) + b = (4, 1): token (1, 0)
    # wins (0.970 > 0.922)
    ('amplified', [[2., 0.], [0.8, 0.6]]),
])
def test_v2l_on_amplified_visual_hand_case(v2l_visual, text_out):
    """Released code: the v2l step averages the tokens after the l2v
    amplification, then maps them (a bias makes the scale matter)."""
    visual = torch.tensor([[[[2., 0.], [0., 1.]]]])  # (1, 1, 2, 2)
    text = torch.tensor([[[[1., 0.], [0.8, 0.6]]]])  # (1, 1, 2, 2)
    mask = torch.ones(1, 1, 2, dtype=torch.bool)
    # sentence (0.9, 0.3): token 0 of the frame is selected and doubled
    v, z = _hand_selector(v2l_visual)(visual, text, mask,
                                      torch.ones(1, 1, dtype=torch.bool))
    assert torch.allclose(v, torch.tensor([[[[4., 0.], [0., 1.]]]]))
    assert torch.allclose(z[0, 0], torch.tensor(text_out))


def test_v2l_visual_rejects_unknown():
    with pytest.raises(ValueError, match='v2l_visual'):
        WSRVOSFeatureSelection(2, 2, v2l_visual='both')


# 3 ------------------------------------------------------------------------
def _swin_encoders(final_norm_after_selection):
    torch.manual_seed(0)
    swin = MODELS.build(dict(
        type='RVOSVideoSwin', pretrained=None,
        arch=dict(embed_dims=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4))))
    with torch.no_grad():
        swin.norm.weight.uniform_(0.5, 2.0)
        swin.norm.bias.uniform_(-1.0, 1.0)
    text = MODELS.build(dict(type='WSRVOSTestTinyText', num_blocks=2))
    selectors = torch.nn.ModuleList([WSRVOSFeatureSelection(
        64, 12, k_v=2, k_z=1, scorer='released_linear')])
    return BlockwiseEncoders(swin, text, selectors, [(8, 2)], 8,
                             final_norm_after_selection=
                             final_norm_after_selection), selectors[0]


def test_final_norm_after_the_last_selection():
    """Released code: the selection at the last block sees the features
    before Swin's final LayerNorm, which is applied to its output."""
    frames = torch.randn(1, 2, 3, 64, 64)
    texts = [['the red circle', 'a dog']]
    cond = torch.ones(1, 2, dtype=torch.bool)
    outs, seen = {}, {}
    for switch in (False, True):
        enc, selector = _swin_encoders(switch)
        selector.register_forward_hook(
            lambda m, args, out, s=switch: seen.update({s: (args, out)}))
        with torch.no_grad():
            outs[switch] = enc(frames, texts, cond)[0]
    swin = enc.vision_encoder
    # default: the selection's input is normed already, output untouched
    (args_p, out_p), (args_r, out_r) = seen[False], seen[True]
    assert torch.allclose(outs[False], out_p[0])
    # switch: the selection's input is the un-normed block output, and
    # the encoders return norm(selection output)
    assert torch.allclose(swin.norm(args_r[0]), args_p[0], atol=1e-5)
    assert torch.allclose(outs[True], swin.norm(out_r[0]), atol=1e-6)
    assert not torch.allclose(outs[True], outs[False], atol=1e-3)


def test_final_norm_switch_needs_a_deferrable_norm():
    class NoFinalNorm(torch.nn.Module):  # a backbone without a final norm
        block_channels = [8]

        def forward_block(self, i, x):
            return x

    text = MODELS.build(dict(type='WSRVOSTestTinyText', num_blocks=2))
    with pytest.raises(ValueError, match='NoFinalNorm has none'):
        BlockwiseEncoders(NoFinalNorm(), text, torch.nn.ModuleList(), [], 1,
                          final_norm_after_selection=True)


# 4 ------------------------------------------------------------------------
def test_post_norm_block_and_sequential_text():
    """Released CrossAttentionBlock: X = LN1(Q + Attn), LN2(X + FFN(X)); the
    text attends to the updated video."""
    torch.manual_seed(0)
    B, N, E, L, D = 1, 6, 2, 3, 8
    v, z = torch.randn(B, N, D), torch.randn(B, E, L, D)
    mask = torch.ones(B, E, L, dtype=torch.bool)
    cond = torch.tensor([[True, False]])
    torch.manual_seed(1)
    paper = WSRVOSBiDirectionalInteraction(D, 2, 2).eval()
    torch.manual_seed(1)
    released = WSRVOSBiDirectionalInteraction(
        D, 2, 2, post_norm_block=True,
        text_attends_updated_video=True).eval()
    assert 'video_attn_norm.weight' not in paper.state_dict()
    with torch.no_grad():
        for name in ('video_attn_norm', 'text_attn_norm'):
            getattr(released, name).weight.uniform_(0.5, 2.0)
            getattr(released, name).bias.uniform_(-1.0, 1.0)
        pv, pz = paper(v, z, mask, cond)
        rv, rz = released(v, z, mask, cond)
        m = released
        keys = z[:, 0]  # the conditioning (positive) expression
        x = m.video_attn_norm(v + m.video_attn(v, keys, keys)[0])
        ref_v = m.video_norm(x + m.video_ffn(x))
        q = z.reshape(B, E * L, D)
        x = m.text_attn_norm(q + m.text_attn(q, ref_v, ref_v)[0])
        ref_z = m.text_norm(x + m.text_ffn(x)).reshape(B, E, L, D)
        # the paper form from the same (shared) weights
        ref_pv = m.video_norm(m.video_ffn(m.video_attn(v, keys, keys)[0]) + v)
    assert torch.allclose(rv, ref_v, atol=1e-6)
    assert torch.allclose(rz, ref_z, atol=1e-6)
    assert torch.allclose(pv, ref_pv, atol=1e-6)
    assert not torch.allclose(rv, pv, atol=1e-3)
    # sequential alone: only the text changes
    torch.manual_seed(1)
    seq = WSRVOSBiDirectionalInteraction(
        D, 2, 2, text_attends_updated_video=True).eval()
    with torch.no_grad():
        sv, sz = seq(v, z, mask, cond)
    assert torch.equal(sv, pv) and not torch.allclose(sz, pz, atol=1e-3)


# 5 ------------------------------------------------------------------------
def test_cls_text_features_post_interaction():
    """Released code: W_cls^T is the pooled F'_Z (after the interaction);
    the paper's is the pooled F_Z."""
    frames = torch.randn(1, 2, 3, 64, 64)
    paper = _features(_seeded(), frames)
    released = _features(_seeded(cls_text_features='post_interaction'),
                         frames)
    assert torch.equal(released['text_cls'], released['text'])
    assert torch.equal(released['text'], paper['text'])
    assert not torch.allclose(paper['text_cls'], paper['text'], atol=1e-3)
    model = _seeded()
    with torch.no_grad():
        v, z, tmask, _ = model.encoders(frames, TEXTS, VALID)
        ref = masked_mean(model.text_proj(z), tmask, dim=2)
    assert torch.allclose(paper['text_cls'], ref, atol=1e-6)
    y = {}
    for name, f in (('paper', paper), ('released', released)):
        with torch.no_grad():
            y[name] = model.mil_head(f['visual'], f['sim'], f['text_cls'],
                                     VALID)['y']
    assert not torch.allclose(y['paper'], y['released'], atol=1e-4)


# 6 ------------------------------------------------------------------------
def test_test_empty_slot_in_selection():
    """Released evaluation: '' (their padded negatives) amplifies the video
    at the selection points; the map is the query's."""
    hf = dict(type='RVOSHFTextEncoder', model_path=None,
              config=dict(model_type='bert', hidden_size=16,
                          num_hidden_layers=4, num_attention_heads=2,
                          intermediate_size=32))
    frames = torch.randn(1, 2, 3, 64, 64)
    query = make_sample(T=2)
    maps = {}
    for switch in (False, True):
        model = _seeded(text_encoder=hf, test_empty_slot_in_selection=switch)
        with torch.no_grad():
            feats = model._query_features(frames, [query])
        assert feats['sim'].shape[-1] == 1 and feats['text'].shape[1] == 1
        maps[switch] = feats['sim'][..., 0]
    # by hand: the query and '' both select, the video attends the query
    with torch.no_grad():
        ref = model.forward_features(
            frames, [[query.metainfo['expression'], '']],
            torch.tensor([[True, False]]), torch.ones(1, 2, dtype=torch.bool),
            allow_empty=True)['sim'][..., 0]
    assert torch.equal(maps[True], ref)
    assert not torch.allclose(maps[True], maps[False], atol=1e-4)
    with pytest.raises(ValueError, match='needs selection points'):
        MODELS.build(tiny_model_cfg(selection_points=[],
                                    test_empty_slot_in_selection=True))


def test_released_config_trains_with_its_switches():
    """The released-code config's switches together on the real block-wise
    classes (tiny sizes): one training step and a prediction."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'wsrvos', 'ablation',
        'wsrvos_swin-t_roberta-b_released-code_4xb1-4x10x1-50e_'
        'ref-ytvos_test-ref-davis17.py')).model
    assert (cfg.condition_on, cfg.selection_condition_on) == (
        'positives', 'all_slots')
    assert cfg.final_norm_after_selection and \
        cfg.interaction.post_norm_block and \
        cfg.interaction.text_attends_updated_video
    assert cfg.selection.v2l_visual == 'amplified'
    assert cfg.cls_text_features == 'post_interaction'
    assert cfg.test_empty_slot_in_selection
    cfg.pop('data_preprocessor')
    cfg.vision_encoder.update(arch=dict(embed_dims=8, depths=(2, 2, 2, 2),
                                        num_heads=(1, 2, 2, 4)),
                              pretrained=None)
    cfg.text_encoder = dict(
        type='RVOSHFTextEncoder', model_path=None,
        config=dict(model_type='bert', hidden_size=16, num_hidden_layers=12,
                    num_attention_heads=2, intermediate_size=32))
    cfg.update(hidden_dim=16, num_positives=2, num_negatives=3,
               selection_points=[(3, 3), (6, 6), (8, 12)])
    cfg.interaction.num_heads = 2
    model = MODELS.build(cfg)
    samples = [make_sample(video_id='v0', T=2)]
    losses = model(torch.randn(1, 2, 3, 64, 64), samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert [n for n, p in model.named_parameters()
            if p.requires_grad and p.grad is None] == []
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 2, 3, 64, 64), samples, mode='predict')
    assert out[0].video_data_samples[0].pred_mask.data.dtype == torch.bool


OFFICIAL = os.environ.get('WSRVOS_OFFICIAL_SRC', '/work/ext/WSRVOS')


@pytest.mark.skipif(not osp.isfile(osp.join(OFFICIAL, 'wsrvos', 'model.py')),
                    reason='no local copy of viscom-tongji/WSRVOS '
                    '(set WSRVOS_OFFICIAL_SRC)')
def test_equivalence_with_the_released_code():
    """benchmarks/equivalence/wsrvos_equivalence.py passes (<= 1e-4 on every
    tensor) against a local copy of the authors' code."""
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'benchmarks', 'equivalence',
                                  'wsrvos_equivalence.py'),
         '--official-src', OFFICIAL],
        capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k != 'PYTHONPATH'},
        cwd=osp.dirname(REPO))  # as a user runs it: no PYTHONPATH set
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert 'end to end: PASS' in proc.stdout
    assert ' NO\n' not in proc.stdout
