"""Tests of rvos_plugin.utils.launch.finish_distributed."""
import torch.distributed as dist

from rvos_plugin.utils.launch import finish_distributed


def test_finish_distributed_destroys_the_group(tmp_path):
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/pg',
                            rank=0, world_size=1)
    try:
        assert dist.is_initialized()
        finish_distributed()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_finish_distributed_is_a_noop_without_a_group():
    assert not dist.is_initialized()
    finish_distributed()
    assert not dist.is_initialized()
