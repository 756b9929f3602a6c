"""ReVIOsA model: loss, predict, Table 6 modes, errors (tiny, CPU)."""
import copy

import pytest
import torch
from reviosa_tiny import tiny_model_cfg

from projects.ReVIOsA.reviosa import select_mllm_frames
from projects.ReVIOsA.reviosa.sequences import training_conversations
from rvos_plugin.registry import MODELS
from rvos_plugin.testing._utils import demo_rvos_batch


def _batch(model, training=True, num_frames=3, with_target=True, seed=0):
    batch = demo_rvos_batch(2, num_frames, (24, 28), seed=seed)
    if with_target:
        s = batch['data_samples'][1]
        s.set_metainfo(dict(has_target=True, caption_type='unidirectional'))
        for f in s.video_data_samples:
            f.gt_target_mask.data[..., 14:20, 14:22] = 1
    return model.data_preprocessor(batch, training)


@pytest.fixture(scope='module')
def joint_model():
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg())


def _conversations(model, sample):
    return training_conversations(
        sample.metainfo, model.token_mode, model.actor_token,
        model.target_token, model._rng, model.postfix_prob,
        model.target_query, model.no_target_answer)


def _losses(model, data):
    model._rng.seed(0)  # same questions in both calls
    torch.manual_seed(0)
    return model(**data, mode='loss')


def test_loss_keys_and_every_trainable_param_gets_grad(joint_model):
    model = joint_model.train()
    data = _batch(model)
    losses = _losses(model, data)
    assert set(losses) == {'loss_lm', 'loss_act_bce', 'loss_act_dice',
                           'loss_tar_bce', 'loss_tar_dice'}
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_tar_bce'] > 0  # sample 1 is unidirectional
    model.zero_grad()
    sum(losses.values()).backward()
    trainable = [(n, p) for n, p in model.named_parameters()
                 if p.requires_grad]
    # DDP-safe: every trainable parameter has a gradient
    assert [n for n, p in trainable if p.grad is None] == []
    names = [n for n, _ in trainable]
    assert any('lora_' in n for n in names)
    assert any('sam_mask_decoder' in n for n in names)
    assert not any('image_encoder' in n for n in names)
    assert not any('vision_tower' in n for n in names)
    assert not any('language_model' in n and 'lora_' not in n and
                   'embed_tokens' not in n for n in names)
    model.zero_grad()


def test_target_loss_zero_weight_for_non_unidirectional(joint_model):
    model = joint_model.train()
    data = _batch(model)
    base = _losses(model, data)
    # a target mask on a NON-unidirectional sample must not change anything
    data2 = copy.deepcopy(data)
    for f in data2['data_samples'][0].video_data_samples:
        f.gt_target_mask.data[...] = 1
    other = _losses(model, data2)
    for k in base:
        assert torch.equal(base[k], other[k]), k
    # ... whereas the unidirectional sample's target mask does matter
    data3 = copy.deepcopy(data)
    for f in data3['data_samples'][1].video_data_samples:
        f.gt_target_mask.data[...] = 0
    changed = _losses(model, data3)
    assert not torch.equal(base['loss_tar_bce'], changed['loss_tar_bce'])
    # no unidirectional sample at all: target terms are exact zeros
    data4 = _batch(model, with_target=False)
    zero = _losses(model, data4)
    assert zero['loss_tar_bce'].item() == 0.0
    assert zero['loss_tar_dice'].item() == 0.0


def test_training_answer_contains_both_tokens_only_when_unidirectional(
        joint_model):
    s0, s1 = _batch(joint_model)['data_samples']
    a0 = _conversations(joint_model, s0)[0]['answer']
    a1 = _conversations(joint_model, s1)[0]['answer']
    assert a0 == 'Sure, [SEG_ACT].'
    assert a1 == 'It is [SEG_ACT] and [SEG_TAR].'


@pytest.mark.parametrize('policy,video_inference', [('first', 'propagate'),
                                                    ('uniform',
                                                     'per_frame')])
def test_predict_video(joint_model, policy, video_inference):
    model = joint_model.eval()
    model.frame_policy, model.video_inference = policy, video_inference
    batch = demo_rvos_batch(1, 5, (20, 26))
    # ori_shape differs from the network input: outputs must be at ori_shape
    for f in batch['data_samples'][0].video_data_samples:
        f.set_metainfo(dict(ori_shape=(40, 52)))
    batch['data_samples'][0].set_metainfo(dict(ori_shape=(40, 52)))
    data = model.data_preprocessor(batch, False)
    with torch.no_grad():
        out = model(**data, mode='predict')
    frames = out[0].video_data_samples
    assert len(frames) == 5
    for f in frames:
        assert f.pred_mask.data.shape == (1, 40, 52)
        assert f.pred_mask.data.dtype == torch.bool
        assert f.pred_target_mask.data.shape == (1, 40, 52)
    expected = [0, 1] if policy == 'first' else [0, 4]
    assert out[0].metainfo['mllm_frame_inds'] == expected
    model.frame_policy, model.video_inference = 'first', 'propagate'


def test_no_seg_token_gives_empty_masks(joint_model):
    model = joint_model.eval()
    old = model.max_new_tokens
    model.max_new_tokens = 1  # a random model cannot emit the token now...
    model.actor_id_backup = model.actor_id
    try:
        model.actor_id = -5  # ...and no token has this id
        data = model.data_preprocessor(demo_rvos_batch(1, 3, (16, 16)),
                                       False)
        with torch.no_grad():
            out = model(**data, mode='predict')
        for f in out[0].video_data_samples:
            assert not f.pred_mask.data.any()
    finally:
        model.actor_id = model.actor_id_backup
        model.max_new_tokens = old


def test_select_mllm_frames():
    assert select_mllm_frames(10, 5, 'first') == [0, 1, 2, 3, 4]
    assert select_mllm_frames(9, 5, 'uniform') == [0, 2, 4, 6, 8]
    assert select_mllm_frames(3, 5, 'uniform') == [0, 1, 2]
    with pytest.raises(ValueError):
        select_mllm_frames(3, 2, 'random')


@pytest.mark.parametrize('mode', ['single', 'independent'])
def test_table6_modes_train_and_predict(mode):
    torch.manual_seed(0)
    kwargs = dict(token_mode=mode)
    if mode == 'single':
        kwargs.update(actor_token='[SEG]', target_token=None)
    model = MODELS.build(tiny_model_cfg(**kwargs))
    data = _batch(model)
    losses = _losses(model, data)
    sum(losses.values()).backward()
    assert [n for n, p in model.named_parameters()
            if p.requires_grad and p.grad is None] == []
    seqs = _conversations(model, data['data_samples'][1])
    if mode == 'single':
        assert 'loss_tar_bce' not in losses
        assert [s['answer'] for s in seqs] == ['Sure, [SEG].']
    else:
        assert [s['answer'] for s in seqs] == ['Sure, [SEG_ACT].',
                                               'Sure, [SEG_TAR].']
        assert [s['target'] for s in seqs] == [False, True]
        assert '[SEG_ACT]' not in _conversations(
            model, data['data_samples'][0])[1]['answer']
    model.eval()
    data = model.data_preprocessor(demo_rvos_batch(1, 3, (16, 16)), False)
    with torch.no_grad():
        out = model(**data, mode='predict')
    f = out[0].video_data_samples[0]
    assert f.pred_mask.data.shape == (1, 16, 16)
    assert ('pred_target_mask' in f) == (mode != 'single')


def test_missing_checkpoints_raise_clear_errors(tmp_path):
    cfg = tiny_model_cfg()
    cfg['sam2'] = dict(cfg['sam2'], allow_random_init=False)
    with pytest.raises(FileNotFoundError, match='sam2.1_hiera_large.pt'):
        MODELS.build(cfg)
    cfg['sam2'] = dict(cfg['sam2'], checkpoint=str(tmp_path / 'none.pt'))
    with pytest.raises(FileNotFoundError, match='none.pt'):
        MODELS.build(cfg)
    cfg = tiny_model_cfg()
    cfg['mllm'] = dict(pretrained=str(tmp_path / 'InternVL2_5-1B'))
    with pytest.raises(FileNotFoundError,
                       match='model_converters/internvl_to_hf.py'):
        MODELS.build(cfg)
    cfg = tiny_model_cfg()
    cfg['mllm'] = dict(cfg['mllm'], tokenizer='package:no_such_pkg/x')
    with pytest.raises(FileNotFoundError, match='pip install no-such-pkg'):
        MODELS.build(cfg)


def test_bad_options_raise():
    with pytest.raises(ValueError, match='token_mode'):
        MODELS.build(tiny_model_cfg(token_mode='both'))
    with pytest.raises(ValueError, match='frame_policy'):
        MODELS.build(tiny_model_cfg(frame_policy='random'))
