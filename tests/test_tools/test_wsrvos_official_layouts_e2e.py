"""The user's path, end to end, on hand-made official-layout folders.

In a scratch working directory laid out like the user's (``data/<dataset>``
with the official files, ``checkpoints/`` with the weights), each test:
generates the CREA expressions with ``generate_expressions.py``, trains two
iterations with ``tools/train.py`` and the real config (only sizes
overridden: tiny Video-Swin saved as an official Kinetics checkpoint, tiny
RoBERTa saved as a HuggingFace folder with a real ``RobertaTokenizerFast``,
both loaded by the config's own loading code), then tests with
``tools/test.py``: Table 1 metrics on the A2D test split, the submission zip
on Ref-YouTube-VOS valid.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import zipfile

import pytest
import torch

from rvos_plugin.testing import (load_tool_module, make_a2d_fixture,
                                 make_davis17_raw_fixture,
                                 make_ref_ytvos_fixture)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SWIN_NAME = 'swin_tiny_patch244_window877_kinetics400_1k.pth'
TINY_SWIN = dict(embed_dims=8, depths=(2, 2, 6, 2), num_heads=(1, 1, 2, 2))


class EchoBackend:
    """An MLLM stand-in: positives extend the expression, negatives not."""

    name = 'echo'

    def generate(self, messages, images=None, metadata=None, **kw):
        assert images and images[0].ndim == 3  # the VLM sees the frames
        if metadata['task'] == 'wsrvos_positive':
            return '\n'.join(f'{i + 1}. The object moves to the side {i}.'
                             for i in range(3))
        return '\n'.join(f'{i + 1}. A green kite number {i} flying away.'
                         for i in range(8))


class KeepAllScorer:
    """Eq. (1) stand-in: every description matches the video (c_k = 1)."""

    def similarities(self, sample, texts):
        import numpy as np
        return np.ones(len(texts))


def write_tiny_roberta(folder, texts):
    """A RoBERTa HF folder: byte-level BPE RobertaTokenizerFast + weights."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaModel, RobertaTokenizerFast
    os.makedirs(folder, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=300, min_frequency=1,
                            special_tokens=['<s>', '<pad>', '</s>', '<unk>',
                                            '<mask>'])
    bpe.save_model(folder)
    tok = RobertaTokenizerFast(osp.join(folder, 'vocab.json'),
                               osp.join(folder, 'merges.txt'))
    tok.save_pretrained(folder)
    cfg = RobertaConfig(vocab_size=len(tok), hidden_size=16,
                        num_hidden_layers=12, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=80,
                        pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    RobertaModel(cfg).save_pretrained(folder)


def write_tiny_swin_checkpoint(path):
    """A tiny Video-Swin in the official checkpoint format.

    ``{'state_dict': {'backbone.*', 'cls_head.*'}}`` with the temporal patch
    embedding of size 2 (patch 2x4x4), as the Kinetics releases.
    """
    from rvos_plugin.models.backbones.video_swin import RVOSVideoSwin
    torch.manual_seed(0)
    swin = RVOSVideoSwin(arch=TINY_SWIN, patch_size=(1, 4, 4),
                         window_size=(8, 7, 7))
    state = {}
    for k, v in swin.state_dict().items():
        if k == 'patch_embed.proj.weight':
            v = torch.cat([v, v], dim=2) / 2  # (C, 3, 2, 4, 4)
        state['backbone.' + k] = v
    state['cls_head.fc_cls.weight'] = torch.zeros(400, 64)
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save({'state_dict': state, 'meta': {}}, path)


def override_config(workdir, config, extra=''):
    """The real config with only sizes and the schedule length changed."""
    path = osp.join(workdir, 'tiny_' + osp.basename(config))
    with open(path, 'w') as f:
        f.write(f"""
_base_ = {osp.join(REPO, config)!r}
model = dict(
    vision_encoder=dict(arch=dict(_delete_=True, **{TINY_SWIN!r})),
    text_encoder=dict(max_length=16),
    hidden_dim=16,
    interaction=dict(num_heads=2))
wsrvos_train_pipeline = _base_.wsrvos_train_pipeline
wsrvos_train_pipeline[3].short_side = 64  # RVOSResize (real: 360 / 320)
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=wsrvos_train_pipeline))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2,
                 val_interval=1000)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2),
                     logger=dict(interval=1))
log_processor = dict(by_epoch=False)
{extra}
""")
    return path


def run_tool(args, cwd):
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1',
               HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1')
    proc = subprocess.run([sys.executable] + args, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def assert_weights_loaded(log):
    """The official-format checkpoint matched every tensor of the model."""
    assert f'RVOSVideoSwin loaded checkpoints/{SWIN_NAME}' in log, log[-3000:]
    assert 'missing []; unexpected []; shape mismatch []' in log


def prepare_user_folder(tmp_path, dataset, data_root, texts):
    """Weights under checkpoints/, CREA file inside the data root."""
    write_tiny_swin_checkpoint(str(tmp_path / 'checkpoints' / SWIN_NAME))
    write_tiny_roberta(str(tmp_path / 'checkpoints' / 'roberta-base'), texts)
    gen = load_tool_module('expression_generation', 'generate_expressions')
    out = osp.join(data_root, 'wsrvos_crea_train.json')
    stats = gen.main(['--dataset', dataset, '--data-root', data_root,
                      '--out', out, '--backend', 'openai', '--num-frames',
                      '2', '--no-progress'],
                     backend=EchoBackend(), scorer=KeepAllScorer())
    assert stats['exit_code'] == 0, stats
    return stats


def test_a2d_train_two_iterations_and_table1_test(tmp_path):
    root = tmp_path / 'data' / 'a2d_sentences'
    make_a2d_fixture(str(root), size=(48, 64), write_frames=False)
    stats = prepare_user_folder(
        tmp_path, 'a2d', str(root),
        ['the man running on the left', 'a bird flying', 'the dog jumping',
         'a child crawling', 'a ball rolling', 'green kite flying away'])
    assert stats['written'] == 4
    config = 'configs/wsrvos/wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_' \
        'a2d-sentences.py'
    test_loader = """
wsrvos_test_pipeline = _base_.wsrvos_test_pipeline
wsrvos_test_pipeline[2].short_side = 64
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(pipeline=wsrvos_test_pipeline))
"""
    # training without the end-of-training validation (tools/test.py below
    # runs the same loop)
    cfg = override_config(str(tmp_path), config, extra=test_loader + """
val_dataloader = None
val_cfg = None
val_evaluator = None
""")
    train = run_tool([osp.join(REPO, 'tools', 'train.py'), cfg,
                      '--work-dir', 'work_dirs/a2d'], cwd=str(tmp_path))
    assert_weights_loaded(train.stdout + train.stderr)
    ckpt = tmp_path / 'work_dirs' / 'a2d' / 'iter_2.pth'
    assert ckpt.is_file()
    test_cfg = override_config(str(tmp_path), config, extra=test_loader)
    proc = run_tool([osp.join(REPO, 'tools', 'test.py'), test_cfg, str(ckpt),
                     '--work-dir', 'work_dirs/a2d_test'], cwd=str(tmp_path))
    log = proc.stdout + proc.stderr
    for metric in ('mAP', 'overall_iou', 'mean_iou'):  # Table 1
        assert f'a2d/{metric}: ' in log, log[-2000:]


def test_ref_ytvos_train_two_iterations_and_submission(tmp_path):
    root = tmp_path / 'data' / 'ref-youtube-vos'
    make_ref_ytvos_fixture(str(root), size=(48, 64), num_frames=8)
    prepare_user_folder(tmp_path, 'ref-ytvos', str(root),
                        ['a person on the left', 'a dog sitting',
                         'the box in vid_b', 'the red box'])
    assert set(json.load(open(root / 'wsrvos_crea_train.json'))) == {
        'ytvos:vid_a:0', 'ytvos:vid_a:1'}
    # the user's config validates on Ref-DAVIS17 (converted layout)
    sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
    from ref_davis17_to_ytvos import convert
    make_davis17_raw_fixture(str(tmp_path / 'raw'), size=(48, 64))
    convert(str(tmp_path / 'raw' / 'DAVIS'),
            str(tmp_path / 'raw' / 'davis_text_annotations'),
            str(tmp_path / 'data' / 'ref-davis'))
    cfg = override_config(str(tmp_path), 'configs/wsrvos_swin-t.py', extra="""
wsrvos_test_pipeline = _base_.wsrvos_test_pipeline
wsrvos_test_pipeline[2].short_side = 64
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=wsrvos_test_pipeline))
""")
    train = run_tool([osp.join(REPO, 'tools', 'train.py'), cfg,
                      '--work-dir', 'work_dirs/ytvos'], cwd=str(tmp_path))
    assert_weights_loaded(train.stdout + train.stderr)
    log = train.stdout + train.stderr
    assert 'Iter(train) [2/2]' in log and 'J&F' in log, log[-2000:]
    ckpt = tmp_path / 'work_dirs' / 'ytvos' / 'iter_2.pth'
    assert ckpt.is_file()
    test_cfg = override_config(
        str(tmp_path), 'configs/wsrvos/wsrvos_swin-t_roberta-b_4xb1-'
        '4x10x1-50e_ref-ytvos.py', extra="""
test_pipeline = _base_.test_pipeline
test_pipeline[2].short_side = 64
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
""")
    run_tool([osp.join(REPO, 'tools', 'test.py'), test_cfg, str(ckpt),
              '--work-dir', 'work_dirs/ytvos_test'], cwd=str(tmp_path))
    with zipfile.ZipFile(tmp_path / 'work_dirs' /
                         'ref_ytvos_submission.zip') as z:
        names = z.namelist()
    # valid minus test = vid_b: 2 expressions x 8 frames
    pngs = [n for n in names if n.endswith('.png')]
    assert len(pngs) == 16 and all('vid_b' in n for n in pngs), names
