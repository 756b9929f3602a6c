"""Markdown table of the WSRVOS miniature ablation runs.

Reads the last validation line of ``<root>/<row>/*/<timestamp>.log`` (written
by ``benchmarks/wsrvos_ablation_synthetic.sh``) and prints J, F, J&F (in %)
and the J&F of the appearance expressions per row.
Usage: python benchmarks/wsrvos_ablation_table.py work_dirs/wsrvos_ablation
"""
import glob
import os.path as osp
import re
import sys

ROWS = ('reference', 'no-crea-pos', 'no-crea-neg', 'add-selection',
        'add-interaction', 'no-iec', 'no-ppf', 'no-tsr', 'no-presence')


def last_metrics(log_path: str) -> dict:
    """Metric name -> value from the last ``Iter(val)`` line with J&F."""
    lines = [ln for ln in open(log_path) if 'Iter(val)' in ln and 'J&F' in ln]
    if not lines:
        return {}
    return {k: float(v) for k, v in re.findall(
        r'([\w/&-]+): ([0-9.]+)', lines[-1])}


def main(root: str) -> None:
    print('| row | J | F | J&F | appearance J&F |')
    print('|---|---|---|---|---|')
    for row in ROWS:
        logs = sorted(glob.glob(osp.join(root, row, '*', '*.log')))
        if not logs:
            print(f'| {row} | not run | | | |')
            continue
        m = last_metrics(logs[-1])
        if not m:
            print(f'| {row} | no validation line | | | |')
            continue
        app = m.get('expression_kind/appearance/J&F', float('nan'))
        print(f"| {row} | {100 * m['J']:.1f} | {100 * m['F']:.1f} | "
              f"{100 * m['J&F']:.1f} | {100 * app:.1f} |")


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'work_dirs/wsrvos_ablation')
