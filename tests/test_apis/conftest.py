"""Fixtures of the inferencer tests (the checkpoint is saved once)."""
import pytest

from rvos_plugin.testing.inference import (BASELINE_CFG, PER_FRAME,
                                           save_untrained_checkpoint)


@pytest.fixture(scope='session')
def baseline_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('ckpt') / 'baseline_per_frame.pth'
    return save_untrained_checkpoint(BASELINE_CFG, str(path), PER_FRAME)


@pytest.fixture(scope='session')
def per_frame_baseline(baseline_ckpt):
    from rvos_plugin.apis import RVOSInferencer
    return RVOSInferencer(BASELINE_CFG, baseline_ckpt, device='cpu',
                          cfg_options=dict(PER_FRAME), show_progress=False)
