"""2 gloo processes of batch 1 and 1 process of batch 2 (same global batch,
same samples) agree on the training loss to 1e-4 per iteration, for the tiny
configs of the three methods (baseline, ReVIOsA CPU recipe, WSRVOS).

The random choices of the pipelines and models (frames, flip, ReVIOsA's
question template, WSRVOS's positives / negatives) are drawn per sample
(``rvos_plugin.utils.sample_rng``), so they are the same in both runs: the
ReVIOsA and WSRVOS pipelines below keep their random steps. What legitimately
differs between 2 x 1 and 1 x 2 (docs/decisions/reliability.md) is kept out:
dropout (LoRA dropout 0: a per-process torch draw inside peft), ReVIOsA's
batch-level loss normalisations (token mean of L_lm, mean over the batch's
supervised target masks: items without a target only, all with answers of
one length) and WSRVOS's cross-video presence contrast (pairs within the
local batch: the paper-literal CPU config, which has none).
"""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest

from rvos_plugin.testing import make_mevis_fixture
from rvos_plugin.testing.tiny_reviosa_cfg import (TINY_REVIOSA_MODEL,
                                                  TINY_REVIOSA_PIPELINE)
from rvos_plugin.testing.wsrvos_files import write_wsrvos_files

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(REPO, 'tools', 'train.py')
GLOO_ABORT = 'terminate called without an active exception'
RECORDER = """
custom_imports = dict(imports={imports!r} + [
    'rvos_plugin.testing.loss_recorder'], allow_failed_imports=False)
"""

BASELINE = """
_base_ = [{repo!r} + '/configs/baseline/rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_synthetic.py']
data_root = {root!r}
# deterministic samples (no flip, fixed frames): both runs see the same data
train_pipeline = [
    dict(type='RVOSFrameSample', test_mode=True, max_test_frames=2),
    dict(type='LoadRVOSFrames'), dict(type='LoadRVOSMasks'),
    dict(type='RVOSResize', scale=(32, 32)), dict(type='PackRVOSInputs')]
train_cfg = dict(max_epochs=1, val_interval=10)
train_dataloader = dict(
    batch_size={batch}, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, split='train'))
test_dataloader = val_dataloader
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=10))
custom_hooks = [dict(type='RVOSEpochSeedHook'),
                dict(type='RVOSLossRecorderHook')]
""" + RECORDER.format(imports=['rvos_plugin'])

REVIOSA = """
_base_ = [{repo!r} + '/configs/reviosa/reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py']
data_root = {root!r}
""" + TINY_REVIOSA_MODEL.format(lora=', dropout=0.0') + """# the recipe's random steps kept (random clip, flip)
""" + TINY_REVIOSA_PIPELINE + """train_dataloader = dict(batch_size={batch},
                        dataset=dict(data_root=data_root, split='train',
                                     pipeline=train_pipeline,
                                     caption_types=['single', 'multi'],
                                     caption_type_repeats=dict()))
val_dataloader = dict(dataset=dict(data_root=data_root, split='train'))
test_dataloader = val_dataloader
max_iters = 3
train_cfg = dict(max_iters=3, val_interval=10)
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=10))
custom_hooks = [dict(type='RVOSEpochSeedHook'),
                dict(type='RVOSLossRecorderHook')]
""" + RECORDER.format(imports=['rvos_plugin', 'projects.ReVIOsA.reviosa',
                               'projects.ReVIOsA.reviosa.cpu_recipe'])

WSRVOS = """
_base_ = [{repo!r} + '/configs/wsrvos/wsrvos_effnet-lite0_minilm-l6_1xb4-4x2x1-400it_synthetic-rvos.py']
data_root = {root!r}
model = dict(num_positives=3, num_negatives=6)
# the paper-literal CPU config's random steps kept (clip, P of 4 positives,
# N of 8 negatives, flip)
train_pipeline = [
    dict(type='RVOSFrameSample', num_frames=4, interval=1),
    dict(type='LoadRVOSFrames'),
    dict(type='LoadWSRVOSExpressions', ann_file=data_root + '/crea.json',
         prefix='synthetic'),
    dict(type='WSRVOSSampleExpressions', num_positives=3, num_negatives=6),
    dict(type='RVOSResize', scale=(32, 32)),
    dict(type='RVOSRandomFlip', prob=0.5),
    dict(type='PackRVOSInputs',
         algorithm_keys=('positive_texts', 'positive_confidences',
                         'negative_texts'))]
train_dataloader = dict(batch_size={batch},
                        dataset=dict(data_root=data_root, split='train',
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, split='train'))
test_dataloader = val_dataloader
max_iters = 3
train_cfg = dict(type='IterBasedTrainLoop', max_iters=3, val_interval=10)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=10))
custom_hooks = [dict(type='RVOSEpochSeedHook'),
                dict(type='RVOSLossRecorderHook')]
""" + RECORDER.format(imports=['rvos_plugin', 'projects.WSRVOS.wsrvos'])


def _write_crea(root: str) -> None:
    """4 positives and 8 negatives per expression (WSRVOS draws 3 and 6)."""
    write_wsrvos_files(
        root, [f'{{exp}}, view {k}' for k in range(4)],
        [0.95, 0.9, 0.85, 0.82],
        [f'a green {w} far away' for w in (
            'cat', 'dog', 'car', 'tree', 'bird', 'cup', 'hat', 'kite')],
        write_objects=False)


# name: (config template, port of the 2-process run, fixture videos);
# every case has 6 training items = 3 global batches of 2
CASES = {
    'baseline': (BASELINE, '29767', 2),
    'reviosa': (REVIOSA, '29768', 3),  # 2 no-target items per video
    'wsrvos': (WSRVOS, '29769', 2),
}


def _losses(work_dir, ranks):
    per_rank = []
    for r in range(ranks):
        lines = open(osp.join(work_dir, f'losses_rank{r}.jsonl')).readlines()
        per_rank.append([json.loads(x) for x in lines])
    # the global loss of an iteration: the sample-weighted mean over ranks
    out = []
    for recs in zip(*per_rank):
        total = sum(r['batch'] for r in recs)
        out.append(sum(r['loss'] * r['batch'] for r in recs) / total)
    return np.array(out)


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork')
@pytest.mark.parametrize('name', sorted(CASES))
def test_two_gloo_processes_match_one_process(tmp_path, name):
    template, port, num_videos = CASES[name]
    root = str(tmp_path / 'data')
    make_mevis_fixture(root, 'train', num_videos=num_videos, num_frames=6,
                       size=(32, 32))
    _write_crea(root)
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH',
                                                             ''))
    one, two = tmp_path / 'one.py', tmp_path / 'two.py'
    one.write_text(template.format(repo=REPO, root=root, batch=2))
    two.write_text(template.format(repo=REPO, root=root, batch=1))
    res = subprocess.run([sys.executable, TRAIN, str(one), '--work-dir',
                          str(tmp_path / 'w1')], capture_output=True,
                         text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), str(two), '2',
           '--work-dir', str(tmp_path / 'w2')]
    res = subprocess.run(cmd, capture_output=True, text=True,
                         env=dict(env, PORT=port), timeout=600)
    # gloo's abort in interpreter finalisation is fixed at the root
    # (rvos_plugin.utils.launch.finish_distributed frees the DDP wrapper and
    # the group before exit); one retry for exactly that signature remains
    # as a guard on a loaded machine, any other failure fails at once
    if res.returncode != 0 and GLOO_ABORT in res.stderr:
        shutil.rmtree(str(tmp_path / 'w2'), ignore_errors=True)
        res = subprocess.run(cmd, capture_output=True, text=True,
                             env=dict(env, PORT=port), timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    single = _losses(str(tmp_path / 'w1'), 1)
    dist = _losses(str(tmp_path / 'w2'), 2)
    assert len(single) == len(dist) == 3
    np.testing.assert_allclose(dist, single, rtol=0, atol=1e-4)
    assert single[0] != single[-1]  # the weights changed between steps
