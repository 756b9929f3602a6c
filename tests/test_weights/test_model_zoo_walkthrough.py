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
