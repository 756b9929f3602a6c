"""Evaluate a trained model and the trivial predictors on the same split.

Usage:
    python tools/analysis_tools/evaluate_with_baselines.py CONFIG CHECKPOINT \
        --work-dir DIR [--out summary.json] [--minutes M] [--cfg-options ...]

Writes ``{"J", "F", "J&F", <other metric keys>, "baselines": {mode: {...}},
"minutes": M}`` (values in [0, 1]) and prints it. Trivial predictors:
empty mask, full frame, centre box (¼ of the frame).
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys

_REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--out', default=None)
    parser.add_argument('--minutes', type=float, default=None,
                        help='training wall time to record in the summary')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def strip_prefix(metrics: dict) -> dict:
    """``{'rvos/J&F': x}`` -> ``{'J&F': x}`` (keys without the metric prefix)."""
    return {k.split('/', 1)[-1]: v for k, v in metrics.items()}


def run_test(cfg: Config, work_dir: str) -> dict:
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.default_hooks.pop('visualization', None)
    runner = Runner.from_cfg(cfg)
    return strip_prefix(runner.test())


def main():
    args = parse_args()
    import rvos_plugin  # noqa: F401
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.load_from = args.checkpoint
    summary = run_test(cfg, osp.join(args.work_dir, 'test_model'))
    baselines = {}
    for mode in ('empty', 'full', 'centre_box'):
        trivial = copy.deepcopy(cfg)
        trivial.load_from = None
        trivial.model = dict(
            type='RVOSTrivialPredictor',
            mode=mode,
            data_preprocessor=cfg.model.get(
                'data_preprocessor', dict(type='RVOSDataPreprocessor')))
        baselines[mode] = run_test(trivial,
                                   osp.join(args.work_dir, f'test_{mode}'))
    summary['baselines'] = baselines
    if args.minutes is not None:
        summary['minutes'] = round(args.minutes, 2)
    text = json.dumps(summary, indent=2, sort_keys=True)
    print(text)
    out = args.out or osp.join(args.work_dir, 'summary.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        f.write(text + '\n')


if __name__ == '__main__':
    main()
