"""Launch helpers shared by tools/train.py and tools/test.py."""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction

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


def add_launch_args(parser: argparse.ArgumentParser) -> None:
    """Add the options train and test share (mmdet's names).

    ``--cfg-options``, ``--launcher``, ``--local-rank`` and those of
    :func:`rvos_plugin.utils.cli_config.add_config_args` (``--data-root``,
    ``--strict-cfg``, ``--trust-pickle``).
    """
    from rvos_plugin.utils.cli_config import add_config_args
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    add_config_args(parser)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_launch_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse, and export ``LOCAL_RANK`` for launchers that pass it as a flag.
    """
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_run_config(args: argparse.Namespace) -> Config:
    """The config with the command line applied, launcher and work dir set.

    ``work_dir`` priority: ``--work-dir`` > the config's >
    ``./work_dirs/<config name>`` (mmdet's rule).
    """
    from rvos_plugin.utils.cli_config import load_config
    cfg = load_config(args)  # --cfg-options, --data-root, --strict-cfg
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def run(cfg: Config, action: str):
    """Build the runner of ``cfg`` and run ``action`` on every rank.

    Args:
        cfg (Config): The run config (``cfg.launcher`` set).
        action (str): ``'train'`` or ``'test'``.

    Returns:
        What ``runner.train()`` / ``runner.test()`` returns.
    """
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    prepare_distributed(cfg, cfg.launcher)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    result = getattr(runner, action)()
    # no reference may keep the DDP wrapper (and its process group) alive
    # until interpreter finalisation: finish_distributed frees it now
    del runner
    finish_distributed()
    return result
