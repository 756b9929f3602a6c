"""tools/model_converters/wsrvos_official_to_rvos.py on a tiny state dict
with the key names of the authors' WSRVOSModel, into the real released-code
config with only paths and sizes overridden."""
import os.path as osp

import pytest
import torch

from rvos_plugin.testing._utils import load_tool_module
from rvos_plugin.testing.weight_fixtures import (
    TINY_SWIN_T, make_tiny_roberta_folder, wsrvos_official_state_dict)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RELEASED = osp.join(REPO, 'configs', 'wsrvos', 'ablation',
                    'wsrvos_swin-t_roberta-b_released-code_4xb1-4x10x1-50e_'
                    'ref-ytvos_test-ref-davis17.py')


@pytest.fixture(scope='module')
def roberta(tmp_path_factory):
    return make_tiny_roberta_folder(
        str(tmp_path_factory.mktemp('ckpt') / 'roberta-base'))


def _cfg(roberta):
    from mmengine.config import Config
    cfg = Config.fromfile(RELEASED)
    cfg.model.vision_encoder.update(arch=dict(TINY_SWIN_T), pretrained=None)
    cfg.model.text_encoder.model_path = roberta
    cfg.model.update(hidden_dim=64, num_positives=2, num_negatives=3)
    return cfg


def _save(tmp_path, sd):
    path = str(tmp_path / 'best.pth')
    torch.save({'epoch': 3, 'model': sd, 'optimizer': {}}, path)
    return path


def test_converts_and_loads_into_released_config(tmp_path, roberta, capsys):
    sd = wsrvos_official_state_dict(roberta)
    for k in list(sd):  # distinguishable values for their norm1
        if '_interaction.norm1.' in k:
            sd[k] = torch.randn_like(sd[k])
    tool = load_tool_module('model_converters', 'wsrvos_official_to_rvos')
    src, dst = _save(tmp_path, sd), str(tmp_path / 'ours.pth')
    assert tool.convert_checkpoint(src, dst, _cfg(roberta)) == 0
    out = capsys.readouterr().out
    assert 'missing: 0 target keys' in out
    assert 'segmentation_flow.bias: per-slot constant' in out
    state = torch.load(dst, map_location='cpu',
                       weights_only=False)['state_dict']
    pairs = {
        'selectors.2.released_t2v_weight': 'selection_text_to_visual.2.weight',
        'selectors.0.released_v2t_bias': 'selection_visual_to_text.0.bias',
        'visual_proj.weight': 'video_proj.weight',
        'interaction.video_attn.in_proj_weight':
        'video_interaction.attn.in_proj_weight',
        'interaction.text_ffn.3.weight': 'text_interaction.ffn.3.weight',
        'interaction.text_norm.bias': 'text_interaction.norm2.bias',
        'interaction.video_attn_norm.weight':
        'video_interaction.norm1.weight',
        'interaction.text_attn_norm.bias': 'text_interaction.norm1.bias',
        'mil_head.w_smt.weight': 'segmentation_flow.weight',
        'text_encoder.model.encoder.layer.11.output.dense.weight':
        'text_encoder.encoder.layer.11.output.dense.weight',
        'vision_encoder.layers.3.blocks.1.mlp.fc2.weight':
        'visual_encoder.layers.3.blocks.1.mlp.fc2.weight',
    }
    for ours, theirs in pairs.items():
        assert torch.equal(state[ours], sd[theirs]), ours


def test_paper_interaction_has_no_norm1(tmp_path, roberta, capsys):
    """Without the post-norm switch their norm1 has no target: refused
    unless allowed."""
    cfg = _cfg(roberta)
    cfg.model.interaction.post_norm_block = False
    tool = load_tool_module('model_converters', 'wsrvos_official_to_rvos')
    src = _save(tmp_path, wsrvos_official_state_dict(roberta))
    dst = str(tmp_path / 'o.pth')
    assert tool.convert_checkpoint(src, dst, cfg) == 1
    err = capsys.readouterr().err
    assert '4 source keys are unexpected' in err
    assert 'video_interaction.norm1.weight' in err
    assert tool.convert_checkpoint(src, dst, cfg, allow_unused=True) == 0


def test_missing_and_unexpected_keys_are_named(tmp_path, roberta, capsys):
    sd = wsrvos_official_state_dict(roberta)
    sd.pop('video_proj.bias')
    sd['extra_head.weight'] = torch.zeros(3)
    tool = load_tool_module('model_converters', 'wsrvos_official_to_rvos')
    assert tool.convert_checkpoint(_save(tmp_path, sd),
                                   str(tmp_path / 'o.pth'), _cfg(roberta),
                                   allow_unused=True) == 1
    captured = capsys.readouterr()
    assert 'unused extra_head.weight' in captured.out
    assert '1 target keys are missing' in captured.err
    assert 'visual_proj.bias' in captured.err


def test_paper_config_lacks_the_released_scorers(tmp_path, roberta, capsys):
    """The paper config (shared-space scorers) cannot take their fixed maps:
    the report says where they would go."""
    cfg = _cfg(roberta)
    cfg.model.selection.scorer = 'shared_cosine'
    tool = load_tool_module('model_converters', 'wsrvos_official_to_rvos')
    assert tool.convert_checkpoint(
        _save(tmp_path, wsrvos_official_state_dict(roberta)),
        str(tmp_path / 'o.pth'), cfg, allow_unused=True) == 1
    captured = capsys.readouterr()
    assert 'selectors.0.released_t2v_weight: not in the target model' in \
        captured.out
    assert 'selectors.0.visual_to_shared.weight' in captured.err


def test_not_their_checkpoint(tmp_path, roberta, capsys):
    tool = load_tool_module('model_converters', 'wsrvos_official_to_rvos')
    path = _save(tmp_path, {'backbone.x': torch.zeros(1)})
    assert tool.convert_checkpoint(path, str(tmp_path / 'o.pth'),
                                   _cfg(roberta)) == 1
    assert 'not a WSRVOSModel checkpoint' in capsys.readouterr().err
