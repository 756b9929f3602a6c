"""2 gloo processes of batch 1 and 1 process of batch 2 (same global batch,
same samples) agree on the training loss to 1e-4 (baseline tiny config)."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from rvos_plugin.testing import make_mevis_fixture

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(REPO, 'tools', 'train.py')

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
custom_imports = dict(imports=['rvos_plugin',
                               'rvos_plugin.testing.loss_recorder'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='RVOSEpochSeedHook'),
                dict(type='RVOSLossRecorderHook')]
"""


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
def test_two_gloo_processes_match_one_process(tmp_path):
    root = str(tmp_path / 'data')
    make_mevis_fixture(root, 'train', num_videos=2, num_frames=6,
                       size=(32, 32))  # 6 expressions: 3 global batches
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH',
                                                             ''))
    one, two = tmp_path / 'one.py', tmp_path / 'two.py'
    one.write_text(BASELINE.format(repo=REPO, root=root, batch=2))
    two.write_text(BASELINE.format(repo=REPO, root=root, batch=1))
    res = subprocess.run([sys.executable, TRAIN, str(one), '--work-dir',
                          str(tmp_path / 'w1')], capture_output=True,
                         text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    res = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), str(two), '2',
         '--work-dir', str(tmp_path / 'w2')], capture_output=True,
        text=True, env=dict(env, PORT='29767'), timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    single = _losses(str(tmp_path / 'w1'), 1)
    dist = _losses(str(tmp_path / 'w2'), 2)
    assert len(single) == len(dist) == 3
    np.testing.assert_allclose(dist, single, rtol=0, atol=1e-4)
    assert single[0] != single[-1]  # the weights changed between steps
