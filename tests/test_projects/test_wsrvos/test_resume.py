"""Exact resume of the WSRVOS CPU config (iteration-based, InfiniteSampler).

The real config (``configs/wsrvos/wsrvos_effnet-lite0_minilm-l6_cpu_synthetic
.py``, its packaged EfficientNet-Lite0 / MiniLM weights) with only paths,
sizes and lengths overridden, plus the two pieces of training state that live
outside the optimizer: the warm-up counter ``_iter`` (warm-up ends inside
the resumed part) and the negative bank of ``WSRVOSNegativeBankHook``
(``negative_source='other_samples'``). 4 iterations straight vs resuming
its iteration-2 checkpoint for the last 2.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from rvos_plugin.testing import make_mevis_fixture
from rvos_plugin.testing.wsrvos_files import write_wsrvos_files

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CPU_CONFIG = osp.join(REPO, 'configs', 'wsrvos',
                      'wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py')


@pytest.fixture(scope='module')
def fixture(tmp_path_factory):
    root = tmp_path_factory.mktemp('wsrvos_resume')
    make_mevis_fixture(str(root), 'train', num_videos=3, num_frames=6,
                       size=(32, 32))
    write_wsrvos_files(root, ['{exp}, seen clearly'], [0.9])
    return str(root)


def _cfg(root, work_dir, max_iters, resume_from=None):
    cfg = Config.fromfile(CPU_CONFIG)
    cfg.work_dir = work_dir
    pipe = cfg.train_dataloader.dataset.pipeline
    assert pipe[2].type == 'LoadWSRVOSExpressions'
    pipe[2].ann_file = osp.join(root, 'crea.json')
    assert pipe[3].type == 'WSRVOSSampleExpressions'
    pipe[3].negative_source = 'other_samples'
    assert pipe[4].type == 'LoadWSRVOSObjectAttributes'
    pipe[4].objects_file = osp.join(root, 'objects.json')
    for t in pipe:
        if t.type == 'RVOSResize':
            t.scale = (32, 32)
    cfg.train_dataloader.dataset.data_root = root
    cfg.train_dataloader.batch_size = 2
    cfg.custom_hooks = list(cfg.custom_hooks) + [
        dict(type='WSRVOSNegativeBankHook', num_negatives=24)]
    cfg.model.warmup_iters = 3  # warm-up ends after the resume point
    # the text cache keeps states computed inside earlier batches (equal up
    # to float rounding to a fresh computation): off for bitwise equality
    cfg.model.text_cache_size = 0
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                         val_interval=1000, val_begin=1000)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        by_epoch=False, interval=2)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.val_dataloader = cfg.test_dataloader = None
    cfg.val_cfg = cfg.test_cfg = cfg.val_evaluator = cfg.test_evaluator = None
    if resume_from is not None:
        cfg.resume, cfg.load_from = True, resume_from
    return cfg


def _train(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    bank = [h for h in runner.hooks
            if type(h).__name__ == 'WSRVOSNegativeBankHook'][0].bank
    state = {k: v.detach().clone() for k, v in runner.model.state_dict().items()}
    return state, list(bank)


def test_resume_restores_warmup_counter_and_negative_bank(tmp_path, fixture):
    torch.set_num_threads(1)
    full, full_bank = _train(_cfg(fixture, str(tmp_path / 'full'), 4))
    # the uninterrupted run's checkpoint after iteration 2 (what a run
    # stopped there saves: every hook has run before the CheckpointHook)
    ckpt = str(tmp_path / 'full' / 'iter_2.pth')
    saved = torch.load(ckpt, map_location='cpu', weights_only=False)
    assert saved['state_dict']['_iter'].item() == 2
    assert len(saved['wsrvos_negative_bank']) == 4  # 2 iterations x 2
    resumed, res_bank = _train(
        _cfg(fixture, str(tmp_path / 'part'), 4, resume_from=ckpt))
    assert full['_iter'].item() == 4 and resumed['_iter'].item() == 4
    assert res_bank == full_bank
    for key, value in full.items():
        assert torch.equal(value, resumed[key]), key
    # the trainable weights did change
    assert not torch.equal(full['visual_proj.weight'],
                           saved['state_dict']['visual_proj.weight'])
