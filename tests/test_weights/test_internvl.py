"""InternVL2.5 original -> native conversion (module and
tools/model_converters/internvl_to_hf.py) on tiny folders with the authors'
key names."""
import json
import os
import os.path as osp

import pytest
import torch

from rvos_plugin.testing._utils import load_tool_module
from rvos_plugin.testing.weight_fixtures import (
    internvl_original_config, internvl_original_state_dict,
    make_internvl_original_folder, make_tiny_qwen2_tokenizer)
from rvos_plugin.weights import internvl


def _folder(root, mutate=None):
    folder = osp.join(str(root), 'InternVL2_5-1B')
    tok = make_tiny_qwen2_tokenizer(folder)
    cfg = internvl_original_config(vision_layers=2, llm_layers=2,
                                   vocab_size=len(tok))
    sd = internvl_original_state_dict(cfg)
    if mutate:
        mutate(sd)
    return make_internvl_original_folder(folder, cfg, sd), sd


def test_converter_script_maps_every_key(tmp_path, capsys):
    from transformers import AutoTokenizer, InternVLForConditionalGeneration
    src, sd = _folder(tmp_path)
    tool = load_tool_module('model_converters', 'internvl_to_hf')
    assert tool.main([src, str(tmp_path / 'out')]) == 0
    assert 'missing: 0 target keys' in capsys.readouterr().out
    model = InternVLForConditionalGeneration.from_pretrained(
        str(tmp_path / 'out'), dtype=torch.float32)
    ours = model.state_dict()
    qkv = sd['vision_model.encoder.layers.1.attn.qkv.weight']
    c = qkv.shape[1]
    pre = 'model.vision_tower.encoder.layer.1.attention.'
    assert torch.equal(ours[pre + 'q_proj.weight'], qkv[:c])
    assert torch.equal(ours[pre + 'k_proj.weight'], qkv[c:2 * c])
    assert torch.equal(ours[pre + 'v_proj.weight'], qkv[2 * c:])
    assert torch.equal(ours['model.multi_modal_projector.linear_1.weight'],
                       sd['mlp1.1.weight'])
    assert torch.equal(ours['lm_head.weight'],
                       sd['language_model.lm_head.weight'])
    tok = AutoTokenizer.from_pretrained(str(tmp_path / 'out'))
    assert model.config.image_token_id == tok.convert_tokens_to_ids(
        '<IMG_CONTEXT>') == tok.context_image_token_id
    assert len(tok) == model.get_input_embeddings().num_embeddings
    prompt = tok.apply_chat_template([{'role': 'user', 'content': 'hi'}],
                                     tokenize=False,
                                     add_generation_prompt=True)
    assert prompt.startswith('<|im_start|>system\n')
    assert prompt.endswith('<|im_start|>user\nhi<|im_end|>\n'
                           '<|im_start|>assistant\n')


def test_missing_key_fails_with_its_name(tmp_path, capsys):
    src, _ = _folder(tmp_path, lambda sd: sd.pop('mlp1.3.bias'))
    tool = load_tool_module('model_converters', 'internvl_to_hf')
    assert tool.main([src, str(tmp_path / 'out')]) == 1
    err = capsys.readouterr().err
    assert '1 target keys are missing' in err
    assert 'model.multi_modal_projector.linear_2.bias' in err
    assert not osp.exists(tmp_path / 'out')


def test_unexpected_key_fails_unless_allowed(tmp_path, capsys):
    src, _ = _folder(
        tmp_path, lambda sd: sd.update({'vision_model.extra.weight':
                                        torch.zeros(2)}))
    tool = load_tool_module('model_converters', 'internvl_to_hf')
    assert tool.main([src, str(tmp_path / 'out')]) == 1
    err = capsys.readouterr().err
    assert '1 source keys are unexpected' in err
    assert 'vision_model.extra.weight' in err and '--allow-unused' in err
    assert tool.main([src, str(tmp_path / 'out'), '--allow-unused']) == 0
    assert 'unused vision_model.extra.weight' in capsys.readouterr().out


def test_ensure_native_converts_once_and_reconverts_on_change(tmp_path):
    src, _ = _folder(tmp_path)
    dst = internvl.ensure_native_internvl(src)
    assert dst == src + '-hf'
    assert internvl.folder_format(dst) == 'hf'
    marker = osp.join(dst, internvl.MARKER)
    first = os.stat(marker).st_mtime_ns
    assert internvl.ensure_native_internvl(src) == dst
    assert os.stat(marker).st_mtime_ns == first  # reused, not re-converted
    assert internvl.ensure_native_internvl(dst) == dst  # native: as is
    with open(osp.join(src, 'config.json')) as f:
        cfg = json.load(f)
    cfg['select_layer'] = -1
    with open(osp.join(src, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)  # size changes -> fingerprint changes
    internvl.ensure_native_internvl(src)
    assert os.stat(marker).st_mtime_ns != first


def test_unsupported_sources_are_named(tmp_path):
    src, _ = _folder(tmp_path)
    with open(osp.join(src, 'config.json')) as f:
        cfg = json.load(f)
    cfg['llm_config']['architectures'] = ['InternLM2ForCausalLM']
    with pytest.raises(internvl.ConversionError, match='InternLM2'):
        internvl.convert_config(cfg)
    with pytest.raises(FileNotFoundError, match='huggingface-cli download'):
        internvl.ensure_native_internvl(str(tmp_path / 'absent'))
