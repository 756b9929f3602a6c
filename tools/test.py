# Copyright (c) rvos_plugin authors. mmdet-style testing entry point.
import argparse
import os
import os.path as osp
import sys

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from rvos_plugin.utils.cli_config import add_config_args, load_config  # noqa


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) an RVOS model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint', nargs='?', default=None,
        help='checkpoint file (omit only for models whose config loads '
        'all weights itself)')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out', type=str,
        help='write one compact record per (video, expression) -- RLE '
        'masks, per-frame scores, J, F (docs/inference.md) -- to a .json or '
        '.pkl file')
    parser.add_argument(
        '--show', action='store_true',
        help='show each frame with its predicted masks in a window')
    parser.add_argument(
        '--wait-time', type=float, default=2,
        help='with --show, seconds each frame stays (0: until a key)')
    parser.add_argument(
        '--show-dir',
        help='directory (relative to the run dir if not absolute) where '
        'frames with predicted masks and the expression are saved')
    parser.add_argument(
        '--frame-interval', type=int, default=1,
        help='with --show/--show-dir, draw every k-th frame')
    parser.add_argument(
        '--amp', action='store_true', help='test with mixed precision')
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
    add_config_args(parser)  # --data-root, --strict-cfg, --trust-pickle
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_test_cfg(args) -> Config:
    cfg = load_config(args)  # --cfg-options, --data-root, --strict-cfg
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.checkpoint is not None:
        cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        hooks = cfg.setdefault('default_hooks', {})
        hooks['visualization'] = dict(
            type='RVOSVisualizationHook',
            draw=True,
            show=args.show,
            wait_time=args.wait_time,
            test_out_dir=args.show_dir,
            frame_interval=args.frame_interval)
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    if args.out is not None:
        if not args.out.endswith(('.json', '.pkl', '.pickle')):
            raise SystemExit(f'--out {args.out}: use a .json or .pkl file.')
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, dict):
            evaluator = [evaluator]
        cfg.test_evaluator = list(evaluator) + [
            dict(type='RVOSDumpRecords', out_file_path=args.out)
        ]
    return cfg


def main():
    args = parse_args()
    import rvos_plugin  # noqa: F401  (applies the compat shims)
    from rvos_plugin.utils.launch import (finish_distributed,
                                           prepare_distributed)
    cfg = build_test_cfg(args)
    prepare_distributed(cfg, args.launcher)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.test()
    # no reference may keep the DDP wrapper (and its process group) alive
    # until interpreter finalisation: finish_distributed frees it now
    del runner
    finish_distributed()


if __name__ == '__main__':
    main()
