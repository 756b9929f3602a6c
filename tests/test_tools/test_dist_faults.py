"""A crash in one worker of tools/dist_train.sh ends the others with a clear
message (no hang)."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from rvos_plugin.testing import make_mevis_fixture

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CONFIG = """
_base_ = [{repo!r} + '/configs/baseline/rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_synthetic.py']
data_root = {root!r}
train_cfg = dict(max_epochs=2, val_interval=2)
train_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, split='train'))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, split='train'))
test_dataloader = val_dataloader
custom_imports = dict(imports=['rvos_plugin',
                               'rvos_plugin.testing.fault_injection'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='RVOSEpochSeedHook'),
                dict(type='RVOSFaultInjectionHook', at_iter=1, rank=1,
                     mode='raise')]
"""


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork')
def test_crash_in_one_worker_stops_the_others(tmp_path):
    root = str(tmp_path / 'data')
    make_mevis_fixture(root, 'train', num_videos=2, num_frames=6,
                       size=(32, 32))
    cfg = tmp_path / 'crash_cfg.py'
    cfg.write_text(CONFIG.format(repo=REPO, root=root))
    env = dict(os.environ, PYTHON=sys.executable, PORT='29757',
               OMP_NUM_THREADS='1')
    res = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), str(cfg), '2',
         '--work-dir', str(tmp_path / 'work')],
        capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode != 0
    assert 'injected crash on rank 1' in res.stderr
    assert 'dist_train.sh: training FAILED' in res.stderr
    # rank 0 did not go on training (or hang) after rank 1 died
    assert not osp.exists(tmp_path / 'work' / 'epoch_2.pth')
    alive = subprocess.run(['pgrep', '-f', str(cfg)], capture_output=True,
                           text=True).stdout.split()
    assert not alive, f'workers still running: {alive}'
