"""tools/model_converters/reviosa_official_to_rvos.py on tiny checkpoints
with the key names of the authors' InterRVOS / Sa2VA modules (HF folder and
xtuner .pth), into the real ReVIOsA configs with only paths and sizes
overridden."""
import os.path as osp

import pytest
import torch
from safetensors.torch import load_file, save_file

from rvos_plugin.testing._utils import load_tool_module
from rvos_plugin.testing.tiny_checkpoints import (save_tiny_sam2,
                                                  tiny_sam2_sizes)
from rvos_plugin.testing.weight_fixtures import (
    internvl_original_config, make_internvl_original_folder,
    make_reviosa_official_hf_folder, make_tiny_qwen2_tokenizer,
    reviosa_xtuner_state_dict)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_1B = osp.join(REPO, 'configs', 'reviosa',
                  'reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_'
                  'interrvos-8k.py')
CFG_SA2VA = osp.join(REPO, 'configs', 'reviosa',
                     'sa2va-baseline_internvl25-1b-lora_sam2-hiera-l_4xb2-'
                     '10e_interrvos-8k.py')


@pytest.fixture(scope='module')
def base(tmp_path_factory):
    """checkpoints/ of a user: InternVL2_5-1B (original) + sam2_hiera_large
    (SAM2.0 layout), tiny."""
    root = tmp_path_factory.mktemp('checkpoints')
    folder = str(root / 'InternVL2_5-1B')
    tok = make_tiny_qwen2_tokenizer(folder)
    make_internvl_original_folder(folder, internvl_original_config(
        vision_layers=2, llm_layers=2, vocab_size=len(tok)))
    sam2 = save_tiny_sam2(str(root / 'sam2_hiera_large.pt'),
                          config='configs/sam2/sam2_hiera_l.yaml')
    return dict(root=root, mllm=folder, sam2=sam2, sam2_state=torch.load(
        sam2, weights_only=True)['model'])


def _cfg(path, base):
    tool = load_tool_module('model_converters', 'reviosa_official_to_rvos')
    cfg = tool.load_config(path, [])
    cfg.model.mllm.update(pretrained=base['mllm'], tokenizer=base['mllm'],
                          torch_dtype='float32')
    cfg.model.sam2.hydra_overrides = tiny_sam2_sizes()
    cfg.model.num_points = 64
    return tool, cfg


def _ours(dst):
    return torch.load(dst, map_location='cpu',
                      weights_only=False)['state_dict']


def test_hf_folder_tokens_by_name(tmp_path, base, capsys):
    src = str(tmp_path / 'reviosa_hf')
    theirs = make_reviosa_official_hf_folder(src, base['mllm'],
                                             base['sam2_state'])
    tool, cfg = _cfg(CFG_1B, base)
    dst = str(tmp_path / 'ours.pth')
    assert tool.convert_checkpoint(src, dst, cfg) == 0
    out = capsys.readouterr().out
    assert 'missing: 0 target keys' in out and 'SAM2.0' in out
    assert "model.sam2.config='configs/sam2/sam2_hiera_l.yaml'" in out
    state = _ours(dst)
    from transformers import AutoTokenizer
    their_tok = AutoTokenizer.from_pretrained(src)
    our_tok = AutoTokenizer.from_pretrained(base['mllm'] + '-hf')
    our_tok.add_special_tokens({'additional_special_tokens': [
        '[SEG_ACT]', '[SEG_TAR]']}, replace_additional_special_tokens=False)
    emb = state['mllm.model.language_model.embed_tokens.weight']
    their_emb = theirs['language_model.model.embed_tokens.weight']
    for ours, their in (('[SEG_ACT]', '[SEG]'), ('[SEG_TAR]', '[SEG_OBJ]'),
                        ('<IMG_CONTEXT>', '<IMG_CONTEXT>')):
        i = our_tok.convert_tokens_to_ids(ours)
        assert torch.equal(emb[i], their_emb[
            their_tok.convert_tokens_to_ids(their)]), ours
    pre = 'mllm.model.language_model.layers.1.self_attn.q_proj.'
    assert torch.equal(
        state[pre + 'base_layer.weight'],
        theirs['language_model.model.layers.1.self_attn.q_proj.weight'])
    assert not state[pre + 'lora_B.default.weight'].any()
    assert torch.equal(
        state['sam2.sam.memory_encoder.fuser.layers.0.gamma'],
        theirs['grounding_encoder.sam2_model.memory_encoder.fuser.layers.0.'
               'g_weight'])
    assert torch.equal(state['projector.mlp.2.bias'],
                       theirs['text_hidden_fcs.2.bias'])


def test_xtuner_pth_merges_lora(tmp_path, base, capsys):
    sd = reviosa_xtuner_state_dict(base['mllm'], base['sam2_state'], r=4)
    src = str(tmp_path / 'iter_100.pth')
    torch.save({'meta': {}, 'state_dict': sd}, src)
    tool, cfg = _cfg(CFG_1B, base)
    dst = str(tmp_path / 'ours.pth')
    assert tool.convert_checkpoint(src, dst, cfg, sam2=base['sam2'],
                                   lora_r=4, lora_alpha=8) == 0
    state = _ours(dst)
    base_sd = load_file(osp.join(base['mllm'], 'model.safetensors'))
    peft = 'mllm.model.language_model.base_model.model.model.layers.0.'
    merged = base_sd['language_model.model.layers.0.mlp.down_proj.weight'] \
        + 2.0 * sd[peft + 'mlp.down_proj.lora_B.weight'] @ sd[
            peft + 'mlp.down_proj.lora_A.weight']
    got = state['mllm.model.language_model.layers.0.mlp.down_proj.'
                'base_layer.weight']
    assert torch.allclose(got, merged, atol=1e-6)
    dec = 'sam_mask_decoder.iou_token.weight'
    assert torch.equal(state['sam2.sam.' + dec],
                       sd['grounding_encoder.sam2_model.' + dec])
    enc = 'image_encoder.trunk.patch_embed.proj.weight'
    assert torch.equal(state['sam2.sam.' + enc], base['sam2_state'][enc])


def test_missing_unexpected_and_wrong_family(tmp_path, base, capsys):
    src = str(tmp_path / 'hf')
    sd = make_reviosa_official_hf_folder(src, base['mllm'],
                                         base['sam2_state'])
    sd.pop('text_hidden_fcs.2.bias')
    sd['grounding_extra.weight'] = torch.zeros(2)
    save_file(sd, osp.join(src, 'model.safetensors'))
    tool, cfg = _cfg(CFG_1B, base)
    assert tool.convert_checkpoint(src, str(tmp_path / 'o.pth'), cfg,
                                   allow_unused=True) == 1
    captured = capsys.readouterr()
    assert 'unused grounding_extra.weight' in captured.out
    assert '1 target keys are missing' in captured.err
    assert 'projector.mlp.2.bias' in captured.err
    # a Sa2VA checkpoint (single [SEG]) into the joint config
    sa2va = str(tmp_path / 'sa2va_hf')
    make_reviosa_official_hf_folder(sa2va, base['mllm'], base['sam2_state'],
                                    family='sa2va')
    tool, cfg = _cfg(CFG_1B, base)
    assert tool.convert_checkpoint(sa2va, str(tmp_path / 'o.pth'), cfg) == 1
    assert "no row for our seg token(s) ['[SEG_TAR]']" in \
        capsys.readouterr().err
    # ... and into the Table 6 "only [SEG]" config
    tool, cfg = _cfg(CFG_SA2VA, base)
    assert tool.convert_checkpoint(sa2va, str(tmp_path / 'o.pth'), cfg) == 0
