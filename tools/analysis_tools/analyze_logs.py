"""Plot loss / metric curves and report training speed from the json logs
the runner writes (``<work_dir>/<timestamp>/vis_data/<timestamp>.json``).

    python tools/analysis_tools/analyze_logs.py plot_curve LOG.json [LOG2.json] \
        --keys loss loss_mask_dice --out curves.png [--legend run1 run2]
    python tools/analysis_tools/analyze_logs.py plot_curve LOG.json \
        --keys 'rvos/J&F' --out jf.png          # validation metrics
    python tools/analysis_tools/analyze_logs.py cal_train_time LOG.json

A work dir may be given instead of a log: its newest ``vis_data/*.json``
is used. Training lines (with ``lr``) are plotted against ``iter``,
validation lines against ``step`` (epoch or iteration). matplotlib draws;
seaborn styles the figure when installed.
"""
import argparse
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List

import numpy as np


def find_log(path: str) -> str:
    """A json log, or the newest one under a work dir."""
    if osp.isfile(path):
        return path
    logs = sorted(glob.glob(osp.join(path, '*', 'vis_data', '*_*.json')))
    logs = [p for p in logs if osp.basename(p) != 'scalars.json']
    if not logs:
        raise FileNotFoundError(
            f'No runner json log in {path!r}: give <work_dir>/<timestamp>/'
            'vis_data/<timestamp>.json or the work dir holding it.')
    return logs[-1]


def load_json_log(path: str) -> Dict[str, Dict[str, List[float]]]:
    """``{'train': {key: [..], 'iter': [..]}, 'val': {key: [..],
    'step': [..]}}`` from a runner json log (one dict per line)."""
    logs = {'train': defaultdict(list), 'val': defaultdict(list)}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}:{number}: not a json line ({e}); '
                                 'pass the vis_data/<timestamp>.json log, '
                                 'not the text .log.') from e
            mode = 'train' if 'lr' in entry else 'val'
            for key, value in entry.items():
                if isinstance(value, (int, float)):
                    logs[mode][key].append(float(value))
    return {k: dict(v) for k, v in logs.items()}


def plot_curve(args) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    try:
        import seaborn as sns
        sns.set_style(args.style)
    except ImportError:
        pass
    paths = [find_log(p) for p in args.logs]
    legends = args.legend or [
        osp.basename(osp.dirname(osp.dirname(p))) for p in paths]
    if len(legends) != len(paths):
        raise SystemExit('--legend needs one name per log.')
    fig, axes = plt.subplots(len(args.keys), 1, squeeze=False,
                             figsize=(8, 3 * len(args.keys)))
    for ax, key in zip(axes[:, 0], args.keys):
        plotted = False
        for path, name in zip(paths, legends):
            logs = load_json_log(path)
            for mode, x_key in (('train', 'iter'), ('val', 'step')):
                log = logs[mode]
                if key in log:
                    n = len(log[key])
                    xs = log.get(x_key, list(range(1, n + 1)))[:n]
                    ax.plot(xs, log[key], label=f'{name} {key}',
                            marker='o' if mode == 'val' else None)
                    ax.set_xlabel(x_key)
                    plotted = True
        if not plotted:
            found = sorted({k for p in paths for m in ('train', 'val')
                            for k in load_json_log(p)[m]})
            raise SystemExit(
                f'Key {key!r} is in none of the logs; keys found: {found}')
        ax.set_ylabel(key)
        ax.legend()
    fig.tight_layout()
    if args.title:
        fig.suptitle(args.title)
    fig.savefig(args.out, dpi=100)
    print(f'saved {args.out}')


def cal_train_time(args) -> dict:
    """Average / slowest / fastest seconds per training iteration."""
    report = {}
    for path in (find_log(p) for p in args.logs):
        times = np.array(load_json_log(path)['train'].get('time', []))
        if args.include_outliers is False and len(times) > 1:
            times = times[1:]  # the first logged window includes start-up
        if not len(times):
            raise SystemExit(f'{path}: no training "time" entries.')
        report[path] = dict(mean=float(times.mean()),
                            slowest=float(times.max()),
                            fastest=float(times.min()),
                            std=float(times.std()))
        print(f'{path}\n  average {times.mean():.4f} s/iter, slowest '
              f'{times.max():.4f}, fastest {times.min():.4f}, std '
              f'{times.std():.4f}')
    return report


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Analyze runner json logs')
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot curves of log keys')
    plot.add_argument('logs', nargs='+', help='json logs or work dirs')
    plot.add_argument('--keys', nargs='+', default=['loss'])
    plot.add_argument('--legend', nargs='+')
    plot.add_argument('--title')
    plot.add_argument('--style', default='whitegrid',
                      help='seaborn style (when seaborn is installed)')
    plot.add_argument('--out', default='curves.png')
    timing = sub.add_parser('cal_train_time', help='seconds per iteration')
    timing.add_argument('logs', nargs='+')
    timing.add_argument('--include-outliers', action='store_true',
                        help='keep the first logged window (start-up)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return {'plot_curve': plot_curve,
            'cal_train_time': cal_train_time}[args.task](args)


if __name__ == '__main__':
    main()
