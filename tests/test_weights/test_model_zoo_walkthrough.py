"""docs/model_zoo.md §3 with tiny stand-ins in the real file formats: the
files the authors' READMEs name, put under checkpoints/ as the page says,
loaded through the real configs with only sizes overridden."""
import os.path as osp

import torch

from rvos_plugin.testing._utils import load_tool_module
from rvos_plugin.testing.weight_fixtures import (TINY_SWIN_T,
                                                 make_tiny_roberta_folder,
                                                 make_video_swin_pth)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WSRVOS_T = osp.join(REPO, 'configs', 'wsrvos',
                    'wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-'
                    'ref-davis17.py')


def test_wsrvos_swin_t_from_the_download_list(tmp_path, monkeypatch, capsys):
    from mmengine.config import Config

    from rvos_plugin.registry import MODELS
    monkeypatch.chdir(tmp_path)
    # §1: the two downloads, under checkpoints/ with their release names
    swin = make_video_swin_pth(
        'checkpoints/swin_tiny_patch244_window877_kinetics400_1k.pth')
    make_tiny_roberta_folder('checkpoints/roberta-base')
    # §2/§3: check_weights.py finds both
    tool = load_tool_module('misc', 'check_weights')
    assert tool.main([WSRVOS_T, '--no-hash']) == 0
    assert '2 present, 0 missing.' in capsys.readouterr().out
    # the real config, sizes only (paths untouched)
    cfg = Config.fromfile(WSRVOS_T)
    cfg.model.vision_encoder.arch = dict(TINY_SWIN_T)
    cfg.model.hidden_dim = 64
    model = MODELS.build(cfg.model)
    report = model.vision_encoder.load_report
    assert report['missing'] == [] and report['shape_mismatch'] == []
    official = torch.load(swin, weights_only=False)['state_dict']
    assert torch.allclose(
        model.vision_encoder.patch_embed.proj.weight,
        official['backbone.patch_embed.proj.weight'].sum(2, keepdim=True))
    assert torch.equal(
        model.vision_encoder.layers[2].blocks[5].attn.qkv.weight,
        official['backbone.layers.2.blocks.5.attn.qkv.weight'])
    from safetensors.torch import load_file
    roberta = load_file('checkpoints/roberta-base/model.safetensors')
    key = 'encoder.layer.11.attention.self.query.weight'
    assert torch.equal(model.text_encoder.model.state_dict()[key],
                       roberta[key])


REVIOSA_1B = osp.join(REPO, 'configs', 'reviosa',
                      'reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_'
                      'interrvos-8k.py')


def test_reviosa_1b_from_the_download_list(tmp_path, monkeypatch, capsys):
    """InterRVOS's list: OpenGVLab/InternVL2_5-1B (original remote-code
    release) and sam2_hiera_large.pt (SAM2.0) -> the real ReVIOsA-1B config
    with model.sam2.checkpoint/config set as docs/model_zoo.md §3 says."""
    import pytest
    from mmengine.config import Config
    from safetensors.torch import load_file

    from rvos_plugin.registry import MODELS
    from rvos_plugin.testing.tiny_checkpoints import (save_tiny_sam2,
                                                      tiny_sam2_sizes)
    from rvos_plugin.testing.weight_fixtures import (
        internvl_original_config, make_internvl_original_folder,
        make_tiny_qwen2_tokenizer)
    import projects.ReVIOsA.reviosa  # noqa: F401
    monkeypatch.chdir(tmp_path)
    tok = make_tiny_qwen2_tokenizer('checkpoints/InternVL2_5-1B')
    make_internvl_original_folder(
        'checkpoints/InternVL2_5-1B', internvl_original_config(
            vision_layers=2, llm_layers=2, vocab_size=len(tok)))
    save_tiny_sam2('checkpoints/sam2_hiera_large.pt',
                   config='configs/sam2/sam2_hiera_l.yaml')
    options = ['model.sam2.checkpoint=checkpoints/sam2_hiera_large.pt']
    tool = load_tool_module('misc', 'check_weights')
    assert tool.main([REVIOSA_1B, '--no-hash', '--cfg-options',
                      *options]) == 0
    # pretrained and tokenizer (one folder) + the SAM2 .pt
    assert '3 present, 0 missing.' in capsys.readouterr().out
    cfg = Config.fromfile(REVIOSA_1B)
    cfg.model.sam2.checkpoint = 'checkpoints/sam2_hiera_large.pt'
    cfg.model.sam2.hydra_overrides = tiny_sam2_sizes()  # size only
    # the SAM2.1 config of the default with the SAM2.0 download: named fix
    with pytest.raises(ValueError, match="config='configs/sam2/sam2_hiera"):
        MODELS.build(cfg.model)
    # tiny stand-ins have no released depth, so 'auto' cannot name their
    # size: the explicit SAM2.0 config (what 'auto' picks for the real file)
    cfg.model.sam2.config = 'configs/sam2/sam2_hiera_l.yaml'
    model = MODELS.build(cfg.model)
    # the original folder was converted once, next to it
    assert osp.isfile('checkpoints/InternVL2_5-1B-hf/rvos_conversion.json')
    src = load_file('checkpoints/InternVL2_5-1B/model.safetensors')
    ours = model.mllm.state_dict()
    for key, orig in (
            ('model.multi_modal_projector.linear_2.weight', 'mlp1.3.weight'),
            ('model.language_model.layers.1.mlp.up_proj.base_layer.weight',
             'language_model.model.layers.1.mlp.up_proj.weight')):
        # the real config runs the MLLM in bf16
        assert torch.equal(ours[key], src[orig].to(ours[key].dtype)), key
    sam = torch.load('checkpoints/sam2_hiera_large.pt',
                     weights_only=True)['model']
    key = 'sam_mask_decoder.iou_prediction_head.layers.0.weight'
    assert torch.equal(model.sam2.sam.state_dict()[key], sam[key])
