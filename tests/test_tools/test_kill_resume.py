"""kill -9 mid-epoch, then ``tools/train.py --resume``: the same weights and
metrics as the uninterrupted run (baseline epoch-based, ReVIOsA and WSRVOS
iteration-based tiny configs)."""
import importlib.util
import json
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch
from mmengine.runner import Runner

from rvos_plugin.testing import make_mevis_fixture
from rvos_plugin.testing.tiny_reviosa_cfg import (TINY_REVIOSA_MODEL,
                                                  TINY_REVIOSA_PIPELINE)
from rvos_plugin.testing.wsrvos_files import write_wsrvos_files

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(REPO, 'tools', 'train.py')
FAULT = "dict(type='RVOSFaultInjectionHook', at_iter={at})"

BASELINE = """
_base_ = [{repo!r} + '/configs/baseline/rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_synthetic.py']
data_root = {root!r}
train_cfg = dict(max_epochs=2, val_interval=2)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, split='train'))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, split='train'))
test_dataloader = val_dataloader
param_scheduler = []
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, max_keep_ckpts=3))
custom_imports = dict(imports=['rvos_plugin',
                               'rvos_plugin.testing.fault_injection'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='RVOSEpochSeedHook'){fault}]
"""

REVIOSA = """
_base_ = [{repo!r} + '/configs/reviosa/reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py']
data_root = {root!r}
""" + TINY_REVIOSA_MODEL.format(lora='') + TINY_REVIOSA_PIPELINE + """train_dataloader = dict(batch_size=2,
                        dataset=dict(data_root=data_root, split='train',
                                     pipeline=train_pipeline,
                                     caption_type_repeats=dict()))
val_dataloader = dict(dataset=dict(data_root=data_root, split='train'))
test_dataloader = val_dataloader
max_iters = 4
train_cfg = dict(max_iters=4, val_interval=4)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, max_keep_ckpts=3))
custom_imports = dict(imports=['rvos_plugin', 'projects.ReVIOsA.reviosa',
                               'projects.ReVIOsA.reviosa.cpu_recipe',
                               'rvos_plugin.testing.fault_injection'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='RVOSEpochSeedHook'){fault}]
"""

WSRVOS = """
_base_ = [{repo!r} + '/configs/wsrvos/wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py']
data_root = {root!r}
# the CPU config with paths and sizes overridden; the two pieces of training
# state outside the optimizer must survive the kill: the warm-up counter
# (warm-up ends after the kill) and the negative bank
# (negative_source='other_samples' + WSRVOSNegativeBankHook)
train_pipeline = [
    dict(type='RVOSFrameSample', num_frames=4, interval=1),
    dict(type='LoadRVOSFrames'),
    dict(type='LoadWSRVOSExpressions', ann_file=data_root + '/crea.json',
         prefix='synthetic'),
    dict(type='WSRVOSSampleExpressions', num_positives=6, num_negatives=24,
         negative_source='other_samples'),
    dict(type='LoadWSRVOSObjectAttributes',
         objects_file=data_root + '/objects.json'),
    dict(type='RVOSResize', scale=(32, 32)),
    dict(type='RVOSRandomFlip', prob=0.5),
    dict(type='PackRVOSInputs',
         algorithm_keys=('positive_texts', 'positive_confidences',
                         'negative_texts', 'object_attributes',
                         'object_vocabulary'))]
test_pipeline = [
    dict(type='RVOSFrameSample', test_mode=True), dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', scale=(32, 32)), dict(type='LoadRVOSMasks'),
    dict(type='PackRVOSInputs')]
model = dict(warmup_iters=3,
             # cached text states equal a fresh computation only up to float
             # rounding: off for bitwise equality
             text_cache_size=0)
train_dataloader = dict(batch_size=2,
                        dataset=dict(data_root=data_root, split='train',
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, split='train',
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
max_iters = 4
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=4)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(by_epoch=False, interval=2,
                                     max_keep_ckpts=3))
custom_imports = dict(imports=['rvos_plugin', 'projects.WSRVOS.wsrvos',
                               'rvos_plugin.testing.fault_injection'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='RVOSEpochSeedHook'),
                dict(type='WSRVOSNegativeBankHook', num_negatives=24){fault}]
"""

CASES = {
    # (config template, the iteration after which the process is killed
    #  (mid epoch 2 / between checkpoints), final checkpoint)
    'baseline': (BASELINE, 4, 'epoch_2.pth'),
    'reviosa': (REVIOSA, 2, 'iter_4.pth'),
    'wsrvos': (WSRVOS, 2, 'iter_4.pth'),
}


@pytest.fixture(scope='module')
def fixture_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('kill_resume')
    make_mevis_fixture(str(root), 'train', num_videos=2, num_frames=6,
                       size=(32, 32))
    write_wsrvos_files(root, ['{exp}, seen clearly', '{exp} in the video'],
                       [0.9, 0.85])
    return str(root)


def _config(tmp_path, name, root, fault_at=None):
    template = CASES[name][0]
    fault = '' if fault_at is None else ', ' + FAULT.format(at=fault_at)
    path = tmp_path / f'{name}_{"kill" if fault else "full"}.py'
    path.write_text(template.format(repo=REPO, root=root, fault=fault))
    return str(path)


def _metrics(work_dir):
    logs = [osp.join(dp, f) for dp, _, fs in os.walk(work_dir) for f in fs
            if f == 'scalars.json']
    records = [json.loads(line) for log in logs for line in open(log)]
    return [r for r in records if any('J&F' in k for k in r)][-1:]


_RUNS = []


def _train_cli(argv):
    spec = importlib.util.spec_from_file_location('_kill_train', TRAIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    old = sys.argv
    sys.argv = [TRAIN, *argv]
    try:
        cfg = module.build_runner_cfg(module.parse_args())
    finally:
        sys.argv = old
    # fresh logger/visualizer instances (mmengine reuses them by name)
    tag = osp.basename(cfg.work_dir) + str(len(_RUNS))
    _RUNS.append(tag)
    cfg.visualizer['name'] = f'vis_{tag}'
    cfg.experiment_name = f'exp_{tag}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


@pytest.mark.skipif(not hasattr(signal, 'SIGKILL'), reason='needs SIGKILL')
@pytest.mark.parametrize('name', sorted(CASES))
def test_kill_minus_9_then_resume_matches_uninterrupted(tmp_path,
                                                       fixture_root, name):
    torch.set_num_threads(1)
    _, kill_at, final = CASES[name]
    full_dir, kill_dir = str(tmp_path / 'full'), str(tmp_path / 'killed')
    _train_cli([_config(tmp_path, name, fixture_root), '--work-dir',
                full_dir])
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH',
                                                             ''))
    res = subprocess.run(
        [sys.executable, TRAIN,
         _config(tmp_path, name, fixture_root, fault_at=kill_at),
         '--work-dir', kill_dir], capture_output=True, text=True, env=env,
        timeout=600)
    assert res.returncode == -signal.SIGKILL, res.stderr[-3000:]
    assert not osp.exists(osp.join(kill_dir, final))
    _train_cli([_config(tmp_path, name, fixture_root), '--work-dir',
                kill_dir, '--resume'])
    a = torch.load(osp.join(full_dir, final), weights_only=False)
    b = torch.load(osp.join(kill_dir, final), weights_only=False)
    assert a['meta']['iter'] == b['meta']['iter']
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    # training state outside the weights (WSRVOS: the negative bank; the
    # warm-up counter is the `_iter` buffer of the state dict above)
    for key in ('wsrvos_negative_bank', 'rvos_module_rng_states'):
        assert a.get(key) == b.get(key), key
    if name == 'wsrvos':
        assert a['state_dict']['_iter'].item() == 4
        assert len(a['wsrvos_negative_bank']) == 8  # 4 iterations x 2
    ma, mb = _metrics(full_dir), _metrics(kill_dir)
    assert ma and ma[0].pop('step') == mb[0].pop('step')
    assert {k: v for k, v in ma[0].items() if 'time' not in k} == \
        {k: v for k, v in mb[0].items() if 'time' not in k}
