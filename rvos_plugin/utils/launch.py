"""Launch helpers shared by tools/train.py and tools/test.py."""
import torch
from mmengine.config import Config

from rvos_plugin import compat


def prepare_distributed(cfg: Config, launcher: str) -> None:
    """Make one config run unchanged on GPUs (nccl) and CPUs (gloo).

    With CUDA nothing changes: mmengine initialises ``nccl`` and wraps the
    model with the config's wrapper. Without CUDA and with a launcher, the
    process group is initialised here with ``gloo`` (mmengine's own
    initialisation calls ``torch.cuda.set_device``), the backend in
    ``env_cfg`` is set to ``gloo``, and the DDP wrapper is told not to pass
    ``device_ids`` (DDP rejects them for CPU modules); an FSDP strategy gets
    ``device_id=cpu``. DeepSpeed >= 0.19 is made buildable by mmengine
    0.10.7 (:mod:`rvos_plugin.compat_deepspeed`) for every launcher.

    Args:
        cfg (Config): The runner config, modified in place.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
    """
    from rvos_plugin.compat_deepspeed import patch_deepspeed_optimizers
    patch_deepspeed_optimizers()  # mmengine 0.10.7 + DeepSpeed >= 0.19
    if launcher == 'none' or torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    timeout = int(dist_cfg.get('timeout', 1800))
    compat.init_cpu_distributed(launcher, backend='gloo', timeout_s=timeout)
    strategy = cfg.get('strategy') or {}
    if strategy.get('type') == 'FSDPStrategy':
        # mmengine passes device_id=LOCAL_RANK (a CUDA index): FSDP runs
        # on CPU modules with device_id=cpu (gloo)
        strategy.setdefault('model_wrapper', {})
        strategy['model_wrapper']['device_id'] = torch.device('cpu')
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    find_unused = bool(
        wrapper.get('find_unused_parameters',
                    cfg.get('find_unused_parameters', False)))
    if wrapper.get('type', 'MMDistributedDataParallel') == \
            'MMDistributedDataParallel':
        new = compat.cpu_ddp_wrapper_cfg(find_unused)
        new.update({
            k: v
            for k, v in wrapper.items()
            if k not in ('device_ids', 'type', 'find_unused_parameters')
        })
        cfg.model_wrapper_cfg = new


def finish_distributed() -> None:
    """Tear the distributed state down while the interpreter is alive.

    A process that exits with a live gloo process group can abort in
    interpreter finalisation ("terminate called without an active
    exception", SIGABRT): gloo's worker threads still hold work objects
    whose tensors need the GIL while Python is being torn down
    (pytorch/pytorch#190489). torchrun then reports a successful training
    run as failed. With nccl the same omission prints PyTorch's "process
    group has NOT been destroyed" warning.

    Destroying the group is not enough: the runner sits in reference cycles
    and with it the DDP wrapper (its reducer holds the group and the last
    buckets' work), so it outlives ``main()`` and is freed by the cyclic
    garbage collector -- at any later point, including the collection
    Python runs during finalisation, where the abort happens (measured: after ``main()`` of
    ``tools/train.py`` returned, 1 ``DistributedDataParallel`` object per
    rank was alive, 0 after ``gc.collect()``). So the callers drop their
    runner first, and here, after ``runner.train()`` / ``runner.test()``
    returned on every rank: a barrier lets every rank's last collective
    finish, ``gc.collect()`` frees the runner, the model wrapper and its
    work objects now, then the group is destroyed (its worker threads are
    joined here, not in finalisation). A no-op when no group was
    initialised (single-process runs).
    """
    import gc

    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        gc.collect()
        dist.destroy_process_group()
        gc.collect()
