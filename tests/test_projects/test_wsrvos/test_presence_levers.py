"""Levers: train/test conditioning parity, attribute-based "absent" pairs and
the presence contrast with a real forward of each absent pair."""
import json

import pytest
import torch
import torch.nn.functional as F

from _wsrvos_helpers import make_sample, tiny_model_cfg
from projects.WSRVOS.wsrvos.transforms import LoadWSRVOSObjectAttributes
from projects.WSRVOS.wsrvos.presence import (expression_may_refer_to,
                                             mismatched_pairs)
from projects.WSRVOS.wsrvos.slots import expression_slots
from rvos_plugin.registry import MODELS

RED_SQ = dict(colour='red', shape='square', size='big', motion='left')
BLUE_CI = dict(colour='blue', shape='circle', size='small', motion='up')
RED_CI = dict(colour='red', shape='circle', size='small', motion='still')


VOCAB = dict(colour=['blue', 'green', 'red'], shape=['circle', 'square'],
             size=['big', 'small'])


def test_expression_may_refer_to_hand_cases():
    f = expression_may_refer_to
    # a colour the video has, on an object of the mentioned shape
    assert f('the red square', [RED_SQ, BLUE_CI], VOCAB)
    # red is present but only as a square: "red circle" cannot be here
    assert not f('the red circle', [RED_SQ, BLUE_CI], VOCAB)
    assert f('the red circle', [RED_SQ, RED_CI], VOCAB)
    # no red object at all
    assert not f('the red object', [BLUE_CI], VOCAB)
    # size words count too
    assert not f('the big blue object', [BLUE_CI], VOCAB)
    assert f('the small blue object', [BLUE_CI], VOCAB)
    # motion-only / no appearance word: conservative, never "absent"
    assert f('the shape moving left', [BLUE_CI], VOCAB)
    # without a vocabulary a colour the video lacks is not evidence
    assert f('the green object', [BLUE_CI])
    assert not f('the green object', [BLUE_CI], VOCAB)


def _samples_with_objects():
    s0 = make_sample(video_id='v0', expression='the red circle')
    s1 = make_sample(video_id='v1', expression='the blue square')
    s2 = make_sample(video_id='v2', expression='the red circle moving')
    s0.set_metainfo(dict(object_attributes=[RED_CI, BLUE_CI],
                         object_vocabulary=VOCAB))
    s1.set_metainfo(dict(object_attributes=[dict(RED_SQ, colour='blue')],
                         object_vocabulary=VOCAB))
    s2.set_metainfo(dict(object_attributes=[RED_CI],
                         object_vocabulary=VOCAB))
    return [s0, s1, s2]


def test_mismatched_pairs_from_object_attributes():
    model = MODELS.build(tiny_model_cfg(presence_contrast=dict()))
    pairs = mismatched_pairs(_samples_with_objects())
    # "red circle" is absent from v1 (a blue square) but present in v2;
    # "blue square" is absent from v0 (blue is a circle there) and from v2
    assert sorted(pairs) == [(0, 1), (1, 0), (1, 2), (2, 1)]


def test_load_object_attributes(tmp_path):
    path = tmp_path / 'objects.json'
    path.write_text(json.dumps({'videos': {'v0': {'objects': [
        dict(RED_SQ, obj_id=0, centres=[[1, 2]])]}}}))
    t = LoadWSRVOSObjectAttributes(str(path))
    out = t.transform(dict(video_id='v0'))
    assert out['object_attributes'] == [RED_SQ]  # words only, no geometry
    assert out['object_vocabulary']['colour'] == ['red']
    with pytest.raises(KeyError, match='v9'):
        t.transform(dict(video_id='v9'))
    with pytest.raises(FileNotFoundError, match='make_synthetic_rvos'):
        LoadWSRVOSObjectAttributes(str(tmp_path / 'missing.json'))


def _levers_cfg(**kw):
    return tiny_model_cfg(
        similarity='cosine', condition_on='original',
        calibration=dict(standardize=True, learnable_scale_bias=True),
        presence_contrast=dict(absent_forward='recompute', init_scale=10.),
        pseudo_mask_from_presence=True, test_mode_presence=True, **kw)


def test_condition_on_original_matches_test_time_map():
    """Training's extra slot computes exactly the test-time map."""
    torch.manual_seed(0)
    model = MODELS.build(_levers_cfg()).eval()
    samples = _samples_with_objects()
    inputs = torch.randn(3, 2, 3, 64, 64)
    with torch.no_grad():
        slots = expression_slots(samples, model.num_positives,
                                 model.num_negatives)
        feats = model._training_features(inputs, slots,
                                                         samples)
        test_raw = model._query_features(inputs,
                                                  samples)['raw_sim'][..., 0]
    E = model.num_positives + model.num_negatives
    assert feats['sim'].shape[-1] == E and feats['text'].shape[1] == E
    torch.testing.assert_close(feats['orig_raw'], test_raw,
                               atol=1e-5, rtol=1e-4)


def test_recomputed_absent_pass_trains_presence_scalars():
    torch.manual_seed(0)
    model = MODELS.build(_levers_cfg())
    samples = _samples_with_objects()
    losses = model(torch.randn(3, 2, 3, 64, 64), samples, mode='loss')
    assert torch.isfinite(losses['loss_presence'])
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.presence_head.scale.grad is not None
    assert model.presence_head.scale.grad.abs() > 0
    assert model.visual_proj.weight.grad.abs().sum() > 0


def test_recompute_absent_uses_the_other_video_frames(monkeypatch):
    """The absent forward sees video j's frames with expression i."""
    model = MODELS.build(_levers_cfg())
    samples = _samples_with_objects()
    inputs = torch.stack([torch.full((2, 3, 64, 64), float(b))
                          for b in range(3)])
    seen = []
    orig = model.forward_features

    def spy(frames, texts, condition):
        seen.append((frames[:, 0, 0, 0, 0].tolist(), [t[0] for t in texts],
                     condition.clone()))
        return orig(frames, texts, condition)

    monkeypatch.setattr(model, 'forward_features', spy)
    model(inputs, samples, mode='loss')
    assert len(seen) == 2  # main pass + one absent pass
    frames, first_texts, cond = seen[1]
    expected = {0: 1.0, 1: None, 2: 1.0}  # i -> its only mismatched video
    for f, t in zip(frames, first_texts):
        i = [s.metainfo['expression'] for s in samples].index(t)
        if expected[i] is not None:
            assert f == expected[i]
        else:
            assert f in (0.0, 2.0)
    assert cond[:, 0].all() and not cond[:, 1:].any()


def test_reuse_absent_scores_other_video_tokens_with_own_texts():
    """'reuse': every mismatched (i, j) pair scores video j's tokens with
    expression i's original + positive texts, with top-k pooling."""
    torch.manual_seed(0)
    cfg = _levers_cfg()
    cfg['presence_contrast'] = dict(absent_forward='reuse', init_scale=10.,
                                    topk=3)
    model = MODELS.build(cfg)
    samples = _samples_with_objects()
    inputs = torch.randn(3, 2, 3, 64, 64)
    captured = {}
    import projects.WSRVOS.wsrvos.presence as wsrvos_module
    orig = wsrvos_module.presence_contrast_loss

    def spy(present, absent):
        captured['present'], captured['absent'] = present, absent
        return orig(present, absent)

    wsrvos_module.presence_contrast_loss = spy
    try:
        losses = model(inputs, samples, mode='loss')
    finally:
        wsrvos_module.presence_contrast_loss = orig
    P1 = model.num_positives + 1  # original + positives
    # 4 mismatched pairs x T=2 frames x P1 texts
    assert captured['absent'].shape == (4 * 2 * P1, )
    assert captured['present'].shape == (3 * 2 * P1, )
    # pair (1, 0) (second in _mismatched_pairs order) by hand: video 0's
    # tokens against sample 1's original + positive texts, top-3 mean
    assert mismatched_pairs(samples)[1] == (1, 0)
    with torch.no_grad():
        slots = expression_slots(samples, model.num_positives,
                                 model.num_negatives)
        feats = model._training_features(inputs, slots,
                                                         samples)
        texts_1 = torch.cat([feats['orig_text'][1:2],
                             feats['text'][1][slots['pos_index'][1]]])
        raw = F.normalize(feats['visual'][0], dim=-1) @ F.normalize(
            texts_1, dim=-1).T  # (T, Nv, P1)
        expected = raw.topk(3, dim=1).values.mean(1) * 10. + 0.
    got = captured['absent'].detach().reshape(4, 2, P1)[1]
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)
    assert torch.isfinite(losses['loss_presence'])
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.presence_head.scale.grad.abs() > 0


def test_pseudo_mask_from_presence_binarises_with_presence_scalars():
    """The model switch reaches the fusion: pseudo-masks are the tokens whose
    presence logit a * fused raw map + b is positive (not sigmoid > theta)."""
    model = MODELS.build(_levers_cfg())
    assert model.fusion.binarize == 'presence'
    literal = MODELS.build(tiny_model_cfg())
    assert literal.fusion.binarize == 'threshold'
    with torch.no_grad():
        model.presence_head.scale.fill_(10.)
        model.presence_head.bias.fill_(-1.)
    raw = torch.tensor([[[[0.05, 0.2], [0.3, 0.0]]]])  # (B1, T1, P2, N2)
    sim = torch.zeros_like(raw)  # sigmoid(0) = 0.5 > 0.4: all foreground
    conf = torch.tensor([[1., 1.]])
    pseudo = model.fusion(sim, conf, torch.ones(1, 2, dtype=torch.bool),
                          model.presence_head.token_logits, raw)['mask']
    # fused raw = (0.175, 0.1) -> 10 * s - 1 = (0.75, 0.0) -> (1, 0)
    assert pseudo.flatten().tolist() == [1.0, 0.0]


def test_bad_switch_values_raise():
    with pytest.raises(ValueError, match='condition_on'):
        MODELS.build(tiny_model_cfg(condition_on='both'))
    with pytest.raises(ValueError, match='absent_forward'):
        MODELS.build(tiny_model_cfg(
            presence_contrast=dict(absent_forward='x')))
