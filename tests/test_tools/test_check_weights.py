"""tools/misc/check_weights.py on a half-filled checkpoints/ folder, with the
real WSRVOS Swin-T and ReVIOsA-1B configs."""
import hashlib
import os
import os.path as osp

from rvos_plugin.testing._utils import load_tool_module

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WSRVOS_T = osp.join(REPO, 'configs', 'wsrvos',
                    'wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-'
                    'ref-davis17.py')


def test_half_filled_folder(tmp_path, capsys):
    os.makedirs(tmp_path / 'checkpoints')
    swin = tmp_path / 'checkpoints' / \
        'swin_tiny_patch244_window877_kinetics400_1k.pth'
    swin.write_bytes(b'x' * 2048)
    tool = load_tool_module('misc', 'check_weights')
    assert tool.main([WSRVOS_T, '--root', str(tmp_path)]) == 1
    out = capsys.readouterr().out
    digest = hashlib.sha256(b'x' * 2048).hexdigest()[:12]
    assert ('[present] model.vision_encoder.pretrained = checkpoints/'
            'swin_tiny_patch244_window877_kinetics400_1k.pth') in out
    assert f'2.0 KiB, sha256 {digest}' in out
    assert '[MISSING] model.text_encoder.model_path = checkpoints/' \
        'roberta-base' in out
    assert ('fetch:  huggingface-cli download FacebookAI/roberta-base '
            '--local-dir checkpoints/roberta-base') in out
    assert '1 present, 1 missing.' in out
    # fill the rest: exit code 0
    os.makedirs(tmp_path / 'checkpoints' / 'roberta-base')
    (tmp_path / 'checkpoints' / 'roberta-base' / 'config.json').write_text(
        '{}')
    assert tool.main([WSRVOS_T, '--root', str(tmp_path), '--no-hash']) == 0
    assert '2 present, 0 missing.' in capsys.readouterr().out


def test_reviosa_paths_give_download_and_convert_commands(tmp_path, capsys):
    cfg = osp.join(REPO, 'configs', 'reviosa',
                   'reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_'
                   'interrvos-8k.py')
    tool = load_tool_module('misc', 'check_weights')
    assert tool.main([
        cfg, '--root', str(tmp_path), '--cfg-options',
        'model.mllm.pretrained=checkpoints/InternVL2_5-1B-hf',
        'model.mllm.tokenizer=checkpoints/InternVL2_5-1B-hf',
        'model.sam2.checkpoint=checkpoints/sam2_hiera_large.pt']) == 1
    out = capsys.readouterr().out
    assert ('huggingface-cli download OpenGVLab/InternVL2_5-1B --local-dir '
            'checkpoints/InternVL2_5-1B && python tools/model_converters/'
            'internvl_to_hf.py checkpoints/InternVL2_5-1B '
            'checkpoints/InternVL2_5-1B-hf') in out
    assert ('wget -O checkpoints/sam2_hiera_large.pt https://dl.'
            'fbaipublicfiles.com/segment_anything_2/072824/'
            'sam2_hiera_large.pt') in out
