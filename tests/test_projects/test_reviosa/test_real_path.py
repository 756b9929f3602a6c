"""The real ReVIOsA configs on real-format stand-in checkpoints (CPU).

Each config is loaded as shipped; only weight paths and sizes change
(``real_config_overrides``). The InternVL folder is a transformers-native
checkpoint with a Qwen2 BPE tokenizer carrying InternVL's special tokens, the
SAM2 weights a ``.pt`` of the config name ``sam2.1_hiera_l.yaml``.
"""
import json
import os
import os.path as osp
import shutil

import pytest
import torch
from mmengine.config import Config
from reviosa_tiny import REPO

from projects.ReVIOsA.reviosa import prompt_templates as pt
from projects.ReVIOsA.reviosa.sam2_adapter import (FP32_BUFFERS,
                                                   hydra_override_list)
from projects.ReVIOsA.reviosa.seg_token_head import first_token_hidden
from projects.ReVIOsA.reviosa.sequences import pad_batch
from rvos_plugin.registry import MODELS
from rvos_plugin.testing import demo_rvos_batch
from rvos_plugin.testing.tiny_checkpoints import (INTERNVL_SPECIAL_TOKENS,
                                                  QWEN2_SPECIAL_TOKENS,
                                                  TINY_SAM2_CONFIG,
                                                  real_config_overrides,
                                                  tiny_reviosa_checkpoints)

CFG_DIR = osp.join(REPO, 'configs', 'reviosa')
PRIMITIVE = 'reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'
REAL_CONFIGS = {
    '1b': (PRIMITIVE, '1b'),
    '4b': ('reviosa_internvl25-4b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py',
           '4b'),
    'fsdp': ('reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-fsdp-10e_'
             'interrvos-8k.py', '1b'),
    'amp': ('reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-amp-10e_'
            'interrvos-8k.py', '1b'),
    'sa2va': ('sa2va-baseline_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_'
              'interrvos-8k.py', '1b'),
}


@pytest.fixture(scope='session')
def ckpts(tmp_path_factory):
    return tiny_reviosa_checkpoints(str(tmp_path_factory.mktemp('ckpts')))


def real_cfg(key: str, ckpts: dict) -> Config:
    name, size = REAL_CONFIGS[key]
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    cfg.merge_from_dict(real_config_overrides(ckpts, size))
    return cfg


def build(key: str, ckpts: dict, seed: int = 0):
    torch.manual_seed(seed)
    return MODELS.build(real_cfg(key, ckpts).model)


def test_stand_ins_are_in_the_real_formats(ckpts):
    from transformers import (AutoTokenizer, InternVLForConditionalGeneration,
                              Qwen2TokenizerFast)
    folder = ckpts['internvl_1b']
    for f in ('config.json', 'model.safetensors', 'tokenizer.json',
              'tokenizer_config.json', 'vocab.json', 'merges.txt'):
        assert osp.isfile(osp.join(folder, f)), f
    with open(osp.join(folder, 'config.json')) as f:
        config = json.load(f)
    assert config['model_type'] == 'internvl'
    assert config['text_config']['model_type'] == 'qwen2'
    tok = AutoTokenizer.from_pretrained(folder)
    assert isinstance(tok, Qwen2TokenizerFast)
    for t in QWEN2_SPECIAL_TOKENS + INTERNVL_SPECIAL_TOKENS:
        assert tok.tokenize(t) == [t]  # one token each
    assert tok.tokenize('hello world') == ['hello', 'Ġworld'] or \
        tok.convert_tokens_to_string(tok.tokenize('hello world')) == \
        'hello world'  # byte-level BPE round trip
    model = InternVLForConditionalGeneration.from_pretrained(folder)
    assert model.config.image_token_id == tok.convert_tokens_to_ids(
        '<IMG_CONTEXT>')
    sd = torch.load(ckpts['sam2'], map_location='cpu', weights_only=True)
    assert set(sd) == {'model'} and any(
        k.startswith('sam_mask_decoder.') for k in sd['model'])


@pytest.mark.parametrize('key', sorted(REAL_CONFIGS))
def test_real_config_builds_from_checkpoints(key, ckpts):
    from transformers import AutoTokenizer
    cfg = real_cfg(key, ckpts)
    assert cfg.model.sam2.config == TINY_SAM2_CONFIG  # the real config name
    model = MODELS.build(cfg.model)
    size = REAL_CONFIGS[key][1]
    base = AutoTokenizer.from_pretrained(ckpts[f'internvl_{size}'])
    added = set(model.tokenizer.get_vocab()) - set(base.get_vocab())
    seg = {model.actor_token} | ({model.target_token}
                                 if model.target_token else set())
    assert added == seg  # no untrained token beyond the seg tokens
    emb = model.mllm.get_input_embeddings()
    assert emb.num_embeddings == len(model.tokenizer)
    assert model.mllm.get_output_embeddings().weight.shape[0] == \
        len(model.tokenizer)
    want = torch.float32 if key in ('fsdp', 'amp') else torch.bfloat16
    assert model.mllm.dtype == want
    # SAM2: the saved weights, through build_sam2(config name, .pt)
    sd = torch.load(ckpts['sam2'], map_location='cpu',
                    weights_only=True)['model']
    for name, value in model.sam2.sam.state_dict().items():
        assert torch.equal(value, sd[name]), name
    # LoRA on every configured target of the Qwen2 LLM
    lm = model.mllm.model.language_model
    for target in cfg.model.lora.target_modules:
        hits = [n for n, m in lm.named_modules()
                if n.endswith('.' + target) and hasattr(m, 'lora_A')]
        assert len(hits) == lm.config.num_hidden_layers, target
    trainable = {n.split('.')[0] for n, p in model.named_parameters()
                 if p.requires_grad}
    assert trainable == {'mllm', 'sam2', 'projector', 'new_token_rows'}
    assert not any(p.requires_grad for p in
                   model.sam2.sam.image_encoder.parameters())


def test_4b_template_and_lora_targets_match_qwen2(ckpts):
    cfg = real_cfg('4b', ckpts)
    assert cfg.model.chat_template == 'qwen_chat'
    model = MODELS.build(cfg.model)
    lm = model.mllm.model.language_model
    names = [n for n, _ in lm.named_modules()]
    for target in cfg.model.lora.target_modules:
        assert any(n.endswith('.' + target) for n in names), target
    # every chat marker is one existing token of the Qwen2 tokenizer
    prompt = model._prompt('Please segment the dog.', 2)
    for marker in ('<|im_start|>', '<|im_end|>', '<img>', '</img>'):
        assert model.tokenizer.tokenize(marker) == [marker]
        assert marker in prompt
    assert model.stop_id == model.tokenizer.convert_tokens_to_ids(
        '<|im_end|>')


def test_phi3_switch_adds_its_markers(ckpts):
    """The released 4B prompt format is a documented switch: its markers
    are not Qwen2.5 tokens, so they are added (and untrained)."""
    from transformers import AutoTokenizer
    cfg = real_cfg('4b', ckpts)
    cfg.model.chat_template = 'phi3_chat'
    model = MODELS.build(cfg.model)
    base = AutoTokenizer.from_pretrained(ckpts['internvl_4b'])
    added = set(model.tokenizer.get_vocab()) - set(base.get_vocab())
    assert added == {'[SEG_ACT]', '[SEG_TAR]', '<|system|>', '<|user|>',
                     '<|assistant|>', '<|end|>'}


def test_lora_target_without_module_raises(ckpts):
    cfg = real_cfg('4b', ckpts)
    cfg.model.lora.target_modules = ['q_proj', 'qkv_proj', 'gate_up_proj']
    with pytest.raises(ValueError, match=r"\['qkv_proj', 'gate_up_proj'\]"):
        MODELS.build(cfg.model)


def test_hydra_override_dict_is_flattened():
    assert hydra_override_list(dict(
        image_size=512, image_encoder=dict(trunk=dict(stages=[1, 2])))) == [
            '++model.image_size=512',
            '++model.image_encoder.trunk.stages=[1,2]'
        ]
    assert hydra_override_list(['++model.image_size=64']) == [
        '++model.image_size=64'
    ]
    assert hydra_override_list(None) == []


def test_whole_model_bfloat16_trains_and_propagates(ckpts):
    """What a DeepSpeed bf16 engine does: ``model.bfloat16()``."""
    model = build('1b', ckpts)
    owner = model.sam2.sam.get_submodule(FP32_BUFFERS[0].rpartition('.')[0])
    pe_before = owner.positional_encoding_gaussian_matrix.clone()
    model.bfloat16()
    pe = owner.positional_encoding_gaussian_matrix
    assert pe.dtype == torch.float32 and torch.equal(pe, pe_before)
    assert model.sam2.sam.sam_mask_decoder.iou_token.weight.dtype == \
        torch.bfloat16
    batch = demo_rvos_batch(2, 3, (32, 40))
    batch['data_samples'][1].set_metainfo(dict(has_target=True))
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    loss = sum(losses.values())
    assert torch.isfinite(loss) and losses['loss_tar_bce'] > 0
    loss.backward()
    assert model.projector.mlp[0].weight.grad is not None
    lora_b = [p for n, p in model.named_parameters() if 'lora_B' in n]
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in lora_b)
    # SAM2 memory propagation with bf16 weights (fp32 intermediates inside)
    model.eval()
    frames = torch.randn(5, 3, 32, 40)
    prompt = torch.randn(1, 1, model.sam2.hidden_dim, dtype=torch.bfloat16)
    with torch.no_grad():
        logits = model.sam2.propagate(frames, prompt, [0, 2], (32, 40), 2)
    assert logits.shape == (5, 32, 40) and torch.isfinite(logits).all()


def test_amp_config_optim_wrapper_is_cuda_only(ckpts):
    """The boundary: mmengine's AmpOptimWrapper asserts a CUDA/NPU/MLU/MUSA
    device at construction (docs/decisions/reviosa_real_path.md)."""
    from mmengine.optim import build_optim_wrapper
    if torch.cuda.is_available():
        pytest.skip('CUDA present: the wrapper builds')
    cfg = real_cfg('amp', ckpts)
    with pytest.raises(AssertionError, match='only available training on gpu'):
        build_optim_wrapper(build('amp', ckpts), cfg.optim_wrapper)


def test_amp_config_steps_through_mmengine_amp_wrapper(ckpts, monkeypatch):
    """DDP + AMP config up to the CUDA check: the config's own optimizer
    wrapper, built by mmengine as on a GPU (only the device assertion is
    answered), runs the model's ``train_step`` as the Runner does: bf16
    autocast from the wrapper, fp32 weights, one update every 4 calls
    (accumulation 4), gradient clipping."""
    from mmengine.optim import AmpOptimWrapper, build_optim_wrapper
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    cfg = real_cfg('amp', ckpts)
    assert cfg.runner_type == 'Runner' and cfg.strategy is None
    model = build('amp', ckpts)
    assert model.mllm.dtype == torch.float32
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(wrapper) is AmpOptimWrapper
    assert wrapper.cast_dtype == torch.bfloat16
    assert wrapper._accumulative_counts == 4
    assert wrapper.clip_grad_kwargs == dict(max_norm=1.0)
    assert isinstance(wrapper.optimizer, torch.optim.AdamW)
    wrapper.initialize_count_status(model, 0, 8)
    params = [p for p in model.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in params]
    seen = []
    model.register_forward_hook(
        lambda m, a, out: seen.append(torch.get_autocast_dtype('cpu'))
        if torch.is_autocast_enabled('cpu') else seen.append(None))
    for step in range(4):
        batch = demo_rvos_batch(1, 2, (32, 40), seed=step)
        batch['data_samples'][0].set_metainfo(dict(has_target=True))
        log_vars = model.train_step(batch, wrapper)
        assert torch.isfinite(log_vars['loss'])
        changed = any(not torch.equal(a, b) for a, b in zip(before, params))
        assert changed == (step == 3), step  # accumulation 4
    assert seen == [torch.bfloat16] * 4  # the wrapper's autocast
    assert all(p.dtype == torch.float32 for p in params)


def test_seg_tokens_generated_and_read_out_as_in_training(ckpts):
    """No monkeypatch: train until greedy generation emits both tokens, then
    the inference read-out equals the training read-out."""
    model = build('1b', ckpts)
    batch = demo_rvos_batch(2, 2, (32, 40))
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(has_target=True))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=3e-3)
    model.train()
    for _ in range(40):
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
    model.eval()
    test = model.data_preprocessor(demo_rvos_batch(1, 4, (32, 40)), False)
    with torch.no_grad():
        out = model(**test, mode='predict')
    answer = out[0].metainfo['pred_answer'][0]
    assert '[SEG_ACT]' in answer and '[SEG_TAR]' in answer, answer
    frame = out[0].video_data_samples[3]
    assert frame.pred_mask.data.shape == (1, 32, 40)
    assert frame.pred_target_mask.data.shape == (1, 32, 40)

    # read-out: inference (generate + teacher-forced pass) vs training path
    clip = test['inputs'][0]
    question = pt.build_eval_question(
        out[0].metainfo['expression'], model.eval_postfix)
    pixels = model._mllm_pixels(clip[:model.num_mllm_frames])
    with torch.no_grad():
        res = model._seg_embeddings(question, pixels)
        prompt = model._tokenize(model._prompt(question, pixels.size(0)))
        answer_ids = model.tokenizer(res['answer'], add_special_tokens=False)[
            'input_ids']
        ids, _, mask, pos = pad_batch(
            [prompt + answer_ids], [[-100] * len(prompt) + answer_ids],
            model.tokenizer.pad_token_id, False, model._device())
        hidden = model.mllm.model(input_ids=ids, attention_mask=mask,
                                  position_ids=pos, pixel_values=pixels,
                                  use_cache=False).last_hidden_state
    for name, tid in (('act', model.actor_id), ('tar', model.target_id)):
        train_emb, found = first_token_hidden(hidden, ids, tid, mask)
        assert bool(found[0])
        torch.testing.assert_close(res[name], train_emb, rtol=0, atol=0)


@pytest.mark.parametrize('key,folder', [('1b', 'InternVL2_5-1B'),
                                        ('4b', 'InternVL2_5-4B')])
def test_missing_weights_name_path_source_and_place(key, folder, ckpts,
                                                     tmp_path):
    name, _ = REAL_CONFIGS[key]
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    assert cfg.model.mllm.pretrained == f'checkpoints/{folder}'
    assert cfg.model.sam2.checkpoint == 'checkpoints/sam2.1_hiera_large.pt'
    missing = str(tmp_path / 'checkpoints' / folder)
    cfg.model.mllm.pretrained = cfg.model.mllm.tokenizer = missing
    with pytest.raises(FileNotFoundError) as err:
        MODELS.build(cfg.model)
    msg = str(err.value)
    assert missing in msg and f'OpenGVLab/{folder}' in msg
    assert f'checkpoints/{folder}/' in msg
    assert 'tools/model_converters/internvl_to_hf.py' in msg
    # an unconverted OpenGVLab release (remote-code format)
    raw = tmp_path / 'raw' / folder
    shutil.copytree(ckpts[f'internvl_{key}'], raw)
    with open(raw / 'config.json') as f:
        config = json.load(f)
    config['model_type'] = 'internvl_chat'
    with open(raw / 'config.json', 'w') as f:
        json.dump(config, f)
    cfg.model.mllm.pretrained = cfg.model.mllm.tokenizer = str(raw)
    with pytest.raises(ValueError, match='internvl_chat') as err:
        MODELS.build(cfg.model)
    assert 'internvl_to_hf.py' in str(err.value)
    # SAM2
    cfg.merge_from_dict(real_config_overrides(ckpts, key))
    cfg.model.sam2.checkpoint = str(tmp_path / 'sam2.1_hiera_large.pt')
    with pytest.raises(FileNotFoundError) as err:
        MODELS.build(cfg.model)
    msg = str(err.value)
    assert cfg.model.sam2.checkpoint in msg
    assert 'dl.fbaipublicfiles.com' in msg
    assert 'checkpoints/sam2.1_hiera_large.pt' in msg
    assert not os.path.exists(cfg.model.sam2.checkpoint)


def test_propagation_forgets_unreachable_memory_exactly(ckpts):
    """Long videos: memories no later frame reads are dropped (bounded
    memory), and the masks are exactly those of keeping everything."""
    from projects.ReVIOsA.reviosa.sam2_adapter import ReVIOsASAM2
    sam = ReVIOsASAM2(TINY_SAM2_CONFIG, ckpts['sam2'],
                      hydra_overrides=ckpts['sam2_sizes']).eval()
    window = sam.memory_window()
    assert window == max(sam.sam.num_maskmem,
                         sam.sam.max_obj_ptrs_in_encoder)
    torch.manual_seed(0)
    frames = torch.randn(window * 2 + 12, 3, 24, 32)
    prompt = torch.randn(1, 1, sam.hidden_dim)
    kept = []
    forget = sam._forget_far_frames

    def counting(non_cond, t, first):
        forget(non_cond, t, first)
        kept.append(len(non_cond))

    sam._forget_far_frames = counting
    with torch.no_grad():
        bounded = sam.propagate(frames, prompt, [3, 5], (24, 32), 4)
    assert max(kept) <= 2 * window + 2 < frames.size(0) - 2
    sam._forget_far_frames = lambda *a: None  # keep every memory
    with torch.no_grad():
        full = sam.propagate(frames, prompt, [3, 5], (24, 32), 4)
    torch.testing.assert_close(bounded, full, rtol=0, atol=0)


def test_deepspeed_strategy_of_the_config_builds():
    """mmengine 0.10.7 + DeepSpeed 0.19 (requirements/deepspeed.txt):
    the strategy of the primitive config builds (no 1-bit optimizers)."""
    pytest.importorskip('deepspeed')
    from rvos_plugin.compat_deepspeed import (
        patch_deepspeed_optimizers, register_available_deepspeed_optimizers)
    patch_deepspeed_optimizers()
    from mmengine._strategy import DeepSpeedStrategy
    strategy = dict(Config.fromfile(osp.join(CFG_DIR, PRIMITIVE)).strategy)
    assert strategy.pop('type') == 'DeepSpeedStrategy'
    built = DeepSpeedStrategy(**strategy)
    assert built.config['bf16'] == dict(enabled=True)
    assert built.config['zero_optimization']['stage'] == 2
    assert 'FusedAdam' in register_available_deepspeed_optimizers()
