# Copyright (c) rvos_plugin authors. mmdet-style training entry point.
import argparse
import os
import os.path as osp
import sys

# Make `projects.*` importable (mmdet convention) when run from anywhere.
_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from mmengine.config import Config, DictAction  # noqa: E402,F401
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from rvos_plugin.utils.cli_config import (RESUME_LATEST,  # noqa: E402
                                          add_config_args, apply_resume,
                                          load_config)


def parse_args():
    parser = argparse.ArgumentParser(description='Train an RVOS model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR.')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const=RESUME_LATEST,
        help='--resume PATH resumes from PATH; --resume alone from the work '
        "dir's latest checkpoint (an error if there is none); --resume auto "
        'resumes if there is one and otherwise starts fresh (and says so).')
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
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_runner_cfg(args) -> Config:
    """Load the config and apply the command-line choices (mmdet order)."""
    cfg = load_config(args)  # --cfg-options, --data-root, --strict-cfg
    cfg.launcher = args.launcher
    # work_dir priority: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.type
        if optim_wrapper == 'AmpOptimWrapper':
            print('AMP training is already enabled in your config.')
        else:
            assert optim_wrapper == 'OptimWrapper', (
                '`--amp` is only supported when the optimizer wrapper type '
                f'is `OptimWrapper` but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and 'enable' in cfg.auto_scale_lr and \
                'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError('Can not find "auto_scale_lr" or '
                               '"auto_scale_lr.enable" or '
                               '"auto_scale_lr.base_batch_size" in your'
                               ' configuration file.')
    apply_resume(cfg, args.resume)
    return cfg


def main():
    args = parse_args()
    import rvos_plugin  # noqa: F401  (applies the compat shims)
    from rvos_plugin.utils.launch import (finish_distributed,
                                           prepare_distributed)
    cfg = build_runner_cfg(args)
    prepare_distributed(cfg, args.launcher)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.train()
    # no reference may keep the DDP wrapper (and its process group) alive
    # until interpreter finalisation: finish_distributed frees it now
    del runner
    finish_distributed()


if __name__ == '__main__':
    main()
