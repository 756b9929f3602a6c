"""A tiny synthetic split (real generator) shared by the tool tests."""
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='session')
def tiny_synthetic(tmp_path_factory):
    """``<root>/train`` with 4 videos of 6 frames at 64x64, 2-4 objects."""
    from rvos_plugin.datasets.synthetic.generate import \
        generate_synthetic_rvos
    root = tmp_path_factory.mktemp('synthetic')
    generate_synthetic_rvos(str(root), seed=3, num_train=4, num_val=1,
                            size=64, min_frames=6, max_frames=6,
                            write_mp4=False)
    return osp.join(str(root), 'train')
