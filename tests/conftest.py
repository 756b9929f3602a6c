"""Test-wide setup: registries in the mmdet scope, quiet threads."""
import os
import os.path as osp

import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')

import torch  # noqa: E402

from rvos_plugin.utils import register_all_modules  # noqa: E402

torch.set_num_threads(1)
register_all_modules()

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data')


@pytest.fixture
def shared_data():
    """Path of ../shared/data (real small files); skip when absent."""
    if not osp.isdir(SHARED_DATA):
        pytest.skip(f'shared data folder {SHARED_DATA} is absent')
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _no_stale_sampling_round():
    """A training run that raised inside a test leaves the per-sample
    sampling round (rvos_plugin.utils.sample_rng) set: forget it."""
    yield
    from rvos_plugin.utils.sample_rng import clear_sampling_round
    clear_sampling_round()
