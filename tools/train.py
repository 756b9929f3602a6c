# Copyright (c) rvos_plugin authors. mmdet-style training entry point.
import argparse
import os.path as osp
import sys

# Make `projects.*` importable (mmdet convention) when run from anywhere.
_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from mmengine.config import Config  # noqa: E402

from rvos_plugin.utils.cli_config import RESUME_LATEST  # noqa: E402
from rvos_plugin.utils.cli_config import apply_resume  # noqa: E402
from rvos_plugin.utils.launch import (add_launch_args,  # noqa: E402
                                      load_run_config, parse_launch_args, run)


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
    add_launch_args(parser)
    return parse_launch_args(parser)


def build_runner_cfg(args) -> Config:
    """Load the config and apply the command-line choices (mmdet order)."""
    cfg = load_run_config(args)
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
    run(build_runner_cfg(args), 'train')


if __name__ == '__main__':
    main()
