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


def test_finish_distributed_frees_the_dropped_ddp_wrapper(tmp_path):
    """The runner and the DDP wrapper sit in reference cycles: dropped by
    the caller, they would live until a later garbage collection (possibly
    in interpreter finalisation, where gloo aborts); finish_distributed
    frees them."""
    import gc
    import weakref

    import torch
    from torch.nn.parallel import DistributedDataParallel
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/pg',
                            rank=0, world_size=1)
    try:
        gc.disable()  # no automatic collection in between
        model = DistributedDataParallel(torch.nn.Linear(2, 1))
        model(torch.ones(3, 2)).sum().backward()
        ref = weakref.ref(model)
        runner = dict(model=model)  # a runner: in a cycle with its parts
        runner['self'] = runner
        del model, runner
        assert ref() is not None  # kept alive by the cycle
        finish_distributed()
        assert ref() is None and not dist.is_initialized()
    finally:
        gc.enable()
        if dist.is_initialized():
            dist.destroy_process_group()
