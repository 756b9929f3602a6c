"""Every WSRVOS equation on a hand-computed case."""
import math

import pytest
import torch

from projects.WSRVOS.wsrvos.pseudo_mask import (
    WSRVOSPositivePredictionFusion, fuse_positive_predictions,
    straight_through_mask)
from projects.WSRVOS.wsrvos.sampling import fill_positives
from projects.WSRVOS.wsrvos.presence import (presence_contrast_loss,
                                             presence_logits, topk_mean)
from projects.WSRVOS.wsrvos.similarity import (similarity_maps,
                                               standardize_maps)
from rvos_plugin.models.heads.mil_expression_head import (
    clamped_score_bce_loss, expression_classification_loss,
    frame_expression_scores, masked_softmax, proposal_features,
    proposal_masks)
from rvos_plugin.models.losses.pseudo_mask_losses import (
    dice_loss, pseudo_mask_segmentation_loss, sigmoid_focal_loss)
from rvos_plugin.models.losses.temporal_ranking_loss import (
    WSRVOSTemporalRankingLoss, pairwise_segment_consistency_loss, soft_iou,
    temporal_segment_ranking_loss)


def test_proposals_and_features_sec34():
    # 3 tokens, 2 expressions; sigmoid(0)=0.5>0.4, sigmoid(-1)=0.27<0.4
    s = torch.tensor([[0., -1.], [-1., -1.], [2., -3.]])
    m = proposal_masks(s, 0.4)
    assert m.tolist() == [[1, 0], [0, 0], [1, 0]]
    v = torch.tensor([[1., 2.], [5., 5.], [3., 4.]])
    R = proposal_features(v, m)
    # r_0 = mean of tokens 0 and 2; r_1 has no activated token -> zeros
    assert R.tolist() == [[2., 3.], [0., 0.]]
    assert torch.isfinite(R).all()


def test_eq2_frame_expression_scores():
    u_cls = torch.tensor([[0.5, 0.5], [0.25, 0.75]])
    u_smt = torch.tensor([[0.2, 0.6], [0.8, 0.4]])
    y = frame_expression_scores(u_cls, u_smt)
    # y_0 = .5*.2 + .25*.8 = .3 ; y_1 = .5*.6 + .75*.4 = .6
    assert torch.allclose(y, torch.tensor([0.3, 0.6]))


def test_masked_softmax_row_and_column():
    scores = torch.tensor([[0., 0., 5.], [math.log(3), 0., 5.]])
    mask = torch.tensor([[True, True, False], [True, True, False]])
    row = masked_softmax(scores, mask, dim=-1)
    assert torch.allclose(row[1], torch.tensor([0.75, 0.25, 0.]))
    col = masked_softmax(scores, mask, dim=-2)
    assert torch.allclose(col[:, 0], torch.tensor([0.25, 0.75]))
    assert torch.equal(col[:, 2], torch.zeros(2))  # fully masked: 0, no NaN


def test_eq3_printed_bce():
    y = torch.tensor([[0.0, 1.0]])
    g = torch.tensor([[1.0, 0.0]])
    loss = expression_classification_loss(y, g)
    # -(log sigmoid(0) + log(1 - sigmoid(1))) / 2 = (log2 + log(1+e)) / 2
    expected = (math.log(2) + math.log(1 + math.e)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # padded slot excluded
    valid = torch.tensor([[True, False]])
    assert expression_classification_loss(y, g, valid).item() == \
        pytest.approx(math.log(2), rel=1e-6)


def test_eq3_released_code_bce_on_clamped_y():
    y = torch.tensor([[[0.2, 0.5], [0.6, 0.1]]])  # (B=1, T=2, E=2)
    g = torch.tensor([[1.0, 0.0]])
    loss = clamped_score_bce_loss(y, g)
    # frame means: .4 and .3 -> (-log .4 - log .7) / 2
    expected = (-math.log(0.4) - math.log(0.7)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_eq4_fusion_and_binarisation():
    s = torch.tensor([[[1., -1.], [3., -3.]]])  # (1, P=2, N=2)
    c = torch.tensor([[1.0, 3.0]])
    fused = fuse_positive_predictions(s, c)
    # (1*1 + 3*3)/4 = 2.5 ; (-1 - 9)/4 = -2.5
    assert torch.allclose(fused, torch.tensor([[2.5, -2.5]]))
    fusion = WSRVOSPositivePredictionFusion(threshold=0.4)
    m = fusion(s[:, None], c, torch.ones(1, 2, dtype=torch.bool))
    assert m['mask'].tolist() == [[[1.0, 0.0]]]
    assert m['mask_st'].tolist() == [[[1.0, 0.0]]]


def test_eq4_fill_cycles_the_survivors_hand_case():
    """Eq. (4) with P = 6 and two surviving positives A (c=1), B (c=3):
    A, B, A, B, A, B -> s_final = (3*1*sA + 3*3*sB) / 12 = (sA + 3 sB) / 4,
    the fusion of the survivors themselves (the former fill gave
    A, B, A, A, A, A -> (5 sA + 3 sB) / 8)."""
    texts, confs = fill_positives(['A', 'B'], [1.0, 3.0], 6)
    assert texts == ['A', 'B', 'A', 'B', 'A', 'B']
    assert confs == [1.0, 3.0, 1.0, 3.0, 1.0, 3.0]
    maps = {'A': torch.tensor([4., 0.]), 'B': torch.tensor([0., 8.])}
    s = torch.stack([maps[t] for t in texts])[None]  # (1, P=6, N=2)
    fused = fuse_positive_predictions(s, torch.tensor([confs]))
    assert fused.tolist() == [[1.0, 6.0]]  # (4/4, 3*8/4)
    assert fill_positives(['A', 'B', 'C'], [1, 1, 1], 2)[0] == ['A', 'B']


def test_eq6_on_the_pseudo_masks_with_straight_through_gradient():
    """Eq. (6) ranks the binary pseudo-masks M (value) and passes the
    gradient of the soft fused map (straight-through)."""
    # P=1, T=3 frames, N=4 tokens; logits +-4 -> M by theta 0.4
    s = torch.tensor([[[4., 4., -4., -4.]], [[4., -4., -4., -4.]],
                      [[4., 4., -4., -4.]]])[None].requires_grad_()
    out = WSRVOSPositivePredictionFusion()(s, torch.ones(1, 1),
                                           torch.ones(1, 1, dtype=torch.bool))
    M = out['mask_st']  # (1, 3, 4)
    assert M.tolist() == [[[1., 1., 0., 0.], [1., 0., 0., 0.],
                           [1., 1., 0., 0.]]]
    # IoU(m1, m3) = 1 > IoU(m1, m2) = 0.5: ReLU(1 - 0.5 - 0.1) = 0.4
    loss = temporal_segment_ranking_loss(M, 0.1)
    assert loss.item() == pytest.approx(0.4, abs=1e-6)
    loss.sum().backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    p = straight_through_mask(torch.tensor([1., 0.]),
                              torch.tensor([.7, .2], requires_grad=True))
    assert p.tolist() == [1., 0.]


def test_ppf_single_uses_one_positive():
    s = torch.tensor([[[[5., 5.], [-5., -5.]]]])  # (1, 1, P=2, N=2)
    fusion = WSRVOSPositivePredictionFusion(mode='single')
    seen = set()
    for seed in range(20):
        torch.manual_seed(seed)
        m = fusion(s, torch.ones(1, 2), torch.ones(1, 2, dtype=torch.bool))['mask']
        seen.add(tuple(m.flatten().tolist()))
    # a single positive map (all on or all off), never their average (0)
    assert seen == {(1.0, 1.0), (0.0, 0.0)}


def test_ppf_single_choice_is_drawn_per_sample():
    """With the per-sample generators (RVOSEpochSeedHook), the positive a
    sample uses depends on (seed, iteration, sample_idx) only: the same
    when the sample is alone on its rank or with another in the batch."""
    from rvos_plugin.utils import sample_rng as srng
    fusion = WSRVOSPositivePredictionFusion(mode='single')
    s = torch.tensor([[[[5., 5.], [-5., -5.]]]]).repeat(2, 3, 1, 1)
    ones = torch.ones(2, 2)
    valid = torch.ones(2, 2, dtype=torch.bool)
    srng.set_sampling_round(0, 1)
    try:
        torch.manual_seed(0)
        pair = fusion(s, ones, valid, sample_ids=[7, 8])['mask']
        torch.manual_seed(1)  # another rank's global state
        alone = fusion(s[1:], ones[1:], valid[1:], sample_ids=[8])['mask']
        seen = {tuple(fusion(s[:1], ones[:1], valid[:1], sample_ids=[i])[
            'mask'].flatten().tolist()) for i in range(12)}
    finally:
        srng.clear_sampling_round()
    assert torch.equal(pair[1:], alone)
    assert len(seen) > 1  # still a random choice across samples


def test_eq5_focal_dice():
    x = torch.tensor([0.0])
    # p = .5, target 1: alpha * (1-.5)^2 * log 2
    assert sigmoid_focal_loss(x, torch.tensor([1.0])).item() == \
        pytest.approx(0.25 * 0.25 * math.log(2), rel=1e-6)
    assert sigmoid_focal_loss(x, torch.tensor([0.0])).item() == \
        pytest.approx(0.75 * 0.25 * math.log(2), rel=1e-6)
    logits = torch.tensor([[0.0, 0.0]])
    target = torch.tensor([[1.0, 0.0]])
    # p = (.5, .5): 1 - (2*.5 + 1)/(1 + 1 + 1) = 1/3
    assert dice_loss(logits, target).item() == pytest.approx(1 / 3)
    # Eq. (5) with P=1: mean focal + dice
    total = pseudo_mask_segmentation_loss(logits[:, None], target)
    expected = (0.25 + 0.75) * 0.25 * math.log(2) / 2 + 1 / 3
    assert total.item() == pytest.approx(expected, rel=1e-6)


def test_eq6_temporal_ranking_hand_case():
    # frames as 4-token masks: m1 overlaps m3 more than m2 -> violation
    m = torch.tensor([[1., 1., 0., 0.],
                      [0., 1., 1., 0.],
                      [1., 1., 0., 0.]])
    assert soft_iou(m[0], m[1]).item() == pytest.approx(1 / 3, abs=1e-5)
    # only triplet (0,1,2): relu(IoU(0,2) - IoU(0,1) - .1) = 1 - 1/3 - .1
    loss = temporal_segment_ranking_loss(m, 0.1)
    assert loss.item() == pytest.approx(1 - 1 / 3 - 0.1, abs=1e-5)
    # correctly ordered (decreasing overlap) -> 0
    ok = torch.tensor([[1., 1., 1., 0.], [1., 1., 0., 0.], [1., 0., 0., 0.]])
    assert temporal_segment_ranking_loss(ok, 0.1).item() == 0.0
    # epsilon tolerates small violations
    assert temporal_segment_ranking_loss(m, 1.0).item() == 0.0
    # T < 3: no triplet
    assert temporal_segment_ranking_loss(m[:2]).item() == 0.0


def test_psc_variant_tab_s3():
    m = torch.tensor([[1., 1., 0., 0.], [0., 1., 1., 0.], [0., 1., 1., 0.]])
    # (1 - 1/3) + (1 - 1)
    assert pairwise_segment_consistency_loss(m).item() == \
        pytest.approx(2 / 3, abs=1e-5)
    loss = WSRVOSTemporalRankingLoss(mode='psc', loss_weight=2.)
    assert loss(m[None]).item() == pytest.approx(4 / 3, abs=1e-5)
    with pytest.raises(ValueError, match='tsr'):
        WSRVOSTemporalRankingLoss(mode='bad')


def test_eq7_weights_in_model_defaults():
    from rvos_plugin.models.losses.pseudo_mask_losses import \
        WSRVOSPseudoMaskLoss
    assert WSRVOSPseudoMaskLoss().loss_weight == 2.0  # lambda_1
    assert WSRVOSTemporalRankingLoss().loss_weight == 1.0  # lambda_2
    assert WSRVOSTemporalRankingLoss().epsilon == 0.1


def test_similarity_maps_dot_and_cosine():
    v = torch.tensor([[[[1., 0.], [3., 4.]]]])  # (1,1,2,2)
    z = torch.tensor([[[2., 0.]]])  # (1,1,2)
    assert similarity_maps(v, z, 'dot').flatten().tolist() == [2., 6.]
    cos = similarity_maps(v, z, 'cosine').flatten()
    assert torch.allclose(cos, torch.tensor([1., 0.6]))
    std = standardize_maps(torch.tensor([[[[1.], [3.]]]]))
    assert torch.allclose(std.flatten(), torch.tensor([-1., 1.]), atol=1e-4)


def test_presence_contrast():
    present = torch.tensor([0.0])
    absent = torch.tensor([0.0])
    assert presence_contrast_loss(present, absent).item() == \
        pytest.approx(math.log(2))
    assert presence_contrast_loss(
        torch.tensor([100.0]), torch.zeros(0)).item() == pytest.approx(0.0)


def test_topk_mean_pooling_hand_case():
    raw = torch.tensor([[1., 4., 2., 3.]])
    assert topk_mean(raw, 1).item() == 4.0  # the max
    assert topk_mean(raw, 2).item() == 3.5  # (4 + 3) / 2
    assert topk_mean(raw, 10).item() == 2.5  # clipped to Nv: the mean
    # a * pool + b: 2 * 3.5 - 1
    assert presence_logits(raw, torch.tensor(2.), torch.tensor(-1.),
                           topk=2).item() == 6.0
    with pytest.raises(ValueError, match='k must be'):
        topk_mean(raw, 0)
