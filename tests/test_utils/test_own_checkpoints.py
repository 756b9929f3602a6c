"""Our own checkpoints (training with EMA, resume, tools/test.py) load with
weights_only=True: they hold nothing outside the allowlist."""
import importlib.util
import os.path as osp
import sys

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from rvos_plugin.testing import make_mevis_fixture
from rvos_plugin.utils.safe_checkpoint import checkpoint_safe_globals

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = """
_base_ = [{repo!r} + '/configs/baseline/rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_synthetic.py']
data_root = {root!r}
train_cfg = dict(max_epochs=1, val_interval=1)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, split='train'))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, split='train'))
test_dataloader = val_dataloader
custom_hooks = [dict(type='RVOSEpochSeedHook'), dict(type='EMAHook')]
"""


def _allowed_names():
    return {g[1] if isinstance(g, tuple) else
            f'{g.__module__}.{g.__qualname__}'
            for g in checkpoint_safe_globals()}


def test_train_ema_and_test_checkpoints_load_safely(tmp_path):
    root = str(tmp_path / 'data')
    make_mevis_fixture(root, 'train', num_videos=2, num_frames=4,
                       size=(32, 32))
    cfg_path = tmp_path / 'ema_cfg.py'
    cfg_path.write_text(CONFIG.format(repo=REPO, root=root))
    cfg = Config.fromfile(str(cfg_path))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.visualizer['name'] = 'vis_own_ckpt_train'
    Runner.from_cfg(cfg).train()
    ckpt = osp.join(cfg.work_dir, 'epoch_1.pth')
    used = set(torch.serialization.get_unsafe_globals_in_checkpoint(ckpt))
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in used
    # everything the checkpoint needs beyond torch's defaults is allowlisted
    assert used <= _allowed_names(), used - _allowed_names()
    # tools/test.py (CLI path) loads it through the safe loader
    spec = importlib.util.spec_from_file_location(
        '_own_ckpt_test', osp.join(REPO, 'tools', 'test.py'))
    test_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_tool)
    old = sys.argv
    sys.argv = ['test.py', str(cfg_path), ckpt, '--work-dir',
                str(tmp_path / 'test')]
    try:
        test_cfg = test_tool.build_test_cfg(test_tool.parse_args())
    finally:
        sys.argv = old
    test_cfg.visualizer['name'] = 'vis_own_ckpt_test'
    metrics = Runner.from_cfg(test_cfg).test()
    assert 'J&F' in metrics
