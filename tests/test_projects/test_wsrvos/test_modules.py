"""Shapes and behaviour of the WSRVOS modules."""
import pytest
import torch

from projects.WSRVOS.wsrvos.feature_selection import (
    WSRVOSFeatureSelection, add_selected, select_linguistic_tokens,
    select_visual_tokens, topk_mask)
from projects.WSRVOS.wsrvos.interaction import WSRVOSBiDirectionalInteraction
from rvos_plugin.models.heads.mil_expression_head import WSRVOSMILHead


def test_topk_mask_respects_valid():
    s = torch.tensor([[5., 4., 3., 2.]])
    valid = torch.tensor([[False, True, True, True]])
    assert topk_mask(s, 2, valid).tolist() == [[False, True, True, False]]
    # fewer valid than k: all valid ones
    assert topk_mask(s, 3, torch.tensor([[True, False, False, True]])
                     ).tolist() == [[True, False, False, True]]


def test_visual_then_linguistic_selection_hand_case():
    # 1 sample, 1 frame, 3 visual tokens, 1 expression of 3 tokens, C=2
    v = torch.tensor([[[[1., 0.], [0., 1.], [1., 0.1]]]])
    sent = torch.tensor([[[1., 0.]]])
    sel = select_visual_tokens(v, sent, k_v=2)
    assert sel[0, 0, :, 0].tolist() == [True, False, True]
    text = torch.tensor([[[[0., 1.], [1., 0.05], [5., 0.]]]])
    tmask = torch.tensor([[[True, True, False]]])  # token 2 is padding
    tsel = select_linguistic_tokens(text, tmask, v, sel, k_z=1)
    assert tsel[0, 0].tolist() == [False, True, False]
    out = add_selected(v[0, 0], sel[0, 0, :, 0])
    assert torch.allclose(out, torch.tensor([[2., 0.], [0., 1.], [2., .2]]))


@pytest.mark.parametrize('l2v,v2l', [(True, True), (True, False),
                                     (False, True), (False, False)])
def test_feature_selection_switches(l2v, v2l):
    B, T, Nv, Cv, E, L, Cz = 2, 3, 16, 8, 4, 5, 6
    sel = WSRVOSFeatureSelection(Cv, Cz, k_v=3, k_z=2, l2v=l2v, v2l=v2l)
    v, z = torch.randn(B, T, Nv, Cv), torch.randn(B, E, L, Cz)
    tmask = torch.ones(B, E, L, dtype=torch.bool)
    cond = torch.tensor([[True, False, False, False]] * B)
    v2, z2 = sel(v, z, tmask, cond)
    assert v2.shape == v.shape and z2.shape == z.shape
    changed_v = (v2 != v).any(-1)  # (B, T, Nv)
    changed_z = (z2 != z).any(-1)  # (B, E, L)
    if l2v:
        # at most K_V amplified tokens per frame (one conditioning expr)
        assert (changed_v.sum(-1) <= 3).all() and changed_v.any()
    else:
        assert not changed_v.any()
    if v2l:
        assert (changed_z.sum(-1) == 2).all()
    else:
        assert not changed_z.any()


@pytest.mark.parametrize('t2v,v2t', [(True, True), (True, False),
                                     (False, True), (False, False)])
def test_interaction_shapes_and_switches(t2v, v2t):
    B, N, E, L, D = 2, 10, 3, 4, 16
    inter = WSRVOSBiDirectionalInteraction(D, 2, 2, text_queries_video=t2v,
                                           video_queries_text=v2t)
    v, z = torch.randn(B, N, D), torch.randn(B, E, L, D)
    tmask = torch.ones(B, E, L, dtype=torch.bool)
    tmask[:, :, -1] = False
    cond = torch.zeros(B, E, dtype=torch.bool)
    cond[0, 0] = True  # sample 1 has no conditioning expression
    v2, z2 = inter(v, z, tmask, cond)
    assert v2.shape == v.shape and z2.shape == z.shape
    assert torch.isfinite(v2).all() and torch.isfinite(z2).all()
    assert torch.equal(v2, v) != v2t
    assert torch.equal(z2, z) != t2v


@pytest.mark.parametrize('variant', ['full', 'no_paem', 'no_cls', 'no_smt',
                                     'cls_learn'])
@pytest.mark.parametrize('slot_agnostic', [False, True])
def test_mil_head_variants_no_nan(variant, slot_agnostic):
    B, T, Nv, E, D = 2, 3, 5, 4, 8
    head = WSRVOSMILHead(D, E, variant=variant,
                         slot_agnostic_smt=slot_agnostic)
    visual = torch.randn(B, T, Nv, D)
    sim = torch.full((B, T, Nv, E), -10.0)  # nothing passes theta
    sim[0, 0, 0, 0] = 5.0
    text = torch.randn(B, E, D)
    valid = torch.tensor([[True, True, True, False]] * B)
    out = head(visual, sim, text, valid)
    assert out['y'].shape == (B, T, E)
    assert torch.isfinite(out['y']).all()
    assert out['num_active'][0, 0, 0] == 1 and out['num_active'].sum() == 1
    labels = torch.tensor([[1., 0., 0., 0.]] * B)
    loss = head.loss(out['y'], labels, valid)
    assert torch.isfinite(loss)
    if variant in ('full', 'no_smt', 'cls_learn'):
        assert ((out['y'] >= -1e-6) & (out['y'] <= E + 1e-6)).all()


def test_mil_head_w_cls_not_a_parameter_and_slot_check():
    head = WSRVOSMILHead(8, 4)
    names = [n for n, _ in head.named_parameters()]
    assert names == ['w_smt.weight']  # W_cls = F_Z^T is an input
    with pytest.raises(ValueError, match='num_positives'):
        head(torch.randn(1, 1, 3, 8), torch.randn(1, 1, 3, 5),
             torch.randn(1, 5, 8), torch.ones(1, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match='variant'):
        WSRVOSMILHead(8, 4, variant='nope')


def test_released_code_bce_switch_changes_loss():
    y = torch.rand(1, 2, 3)
    labels = torch.tensor([[1., 0., 0.]])
    valid = torch.ones(1, 3, dtype=torch.bool)
    a = WSRVOSMILHead(4, 3).loss(y, labels, valid)
    b = WSRVOSMILHead(4, 3, released_code_bce_on_y=True).loss(
        y, labels, valid)
    assert not torch.isclose(a, b)
