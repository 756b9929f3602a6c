"""Time the synthetic RVOS generator at its defaults (one thread).

Usage::

    python benchmarks/bench_synthetic_rvos.py --out work_dirs/bench_synthetic

Prints the generation time (import excluded), size on disk and counts, and
re-checks every appearance/motion/multi expression of the generated set
against objects.json (an oracle that never reads masks).
"""
import argparse
import json
import os.path as osp
import time

from rvos_plugin.datasets.synthetic import generate_synthetic_rvos
from rvos_plugin.datasets.synthetic.trajectories import (motion_matches,
                                                         motion_phrase)
from rvos_plugin.datasets.synthetic.attributes import (COLOURS, SHAPES,
                                                       SIZES)


def oracle_referents(text, video):
    """Objects an appearance/motion/multi expression describes."""
    words = text.split()[1:]
    if words[0] in ('two', 'three', 'four', 'five', 'six'):
        words = words[1:]
    size = words.pop(0) if words[0] in SIZES else None
    colour = words.pop(0) if words[0] in COLOURS else None
    noun = words.pop(0)
    plural = {p: s for s, p in SHAPES.items()}
    shape = noun if noun in SHAPES else plural.get(noun)
    phrases = {}
    for o in video['objects']:
        phrases[motion_phrase(o['motion'])] = o['motion']
        for seg in o['motion'].split('_then_'):
            phrases[motion_phrase(seg)] = seg
    motion = phrases[' '.join(words)] if words else None
    return sorted(
        o['obj_id'] for o in video['objects']
        if (size is None or o['size'] == size) and (
            colour is None or o['colour'] == colour) and (
                shape is None or o['shape'] == shape) and (
                    motion is None or motion_matches(motion, o['motion'])))


def main():
    import torch
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default='work_dirs/bench_synthetic')
    args = parser.parse_args()
    start, cpu_start = time.perf_counter(), time.process_time()
    summary = generate_synthetic_rvos(args.out, force=True)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    checked = ambiguous = 0
    for split in ('train', 'valid'):
        with open(osp.join(args.out, split, 'meta_expressions.json')) as f:
            meta = json.load(f)['videos']
        with open(osp.join(args.out, split, 'objects.json')) as f:
            objects = json.load(f)['videos']
        for vid, video in meta.items():
            for exp in video['expressions'].values():
                if exp['expression_kind'] in ('appearance', 'motion',
                                              'appearance_motion', 'multi') \
                        and ' and the ' not in exp['exp']:
                    checked += 1
                    ambiguous += oracle_referents(
                        exp['exp'], objects[vid]) != sorted(exp['obj_id'])
    print(json.dumps(dict(
        wall_seconds=round(wall, 2),
        cpu_seconds=round(cpu, 2),
        load_average=open('/proc/loadavg').read().split()[:3],
        generation_seconds=summary['seconds'],
        megabytes=round(summary['bytes'] / 1e6, 1),
        oracle_checked=checked,
        oracle_mismatches=ambiguous,
        splits=summary['splits']), indent=1))


if __name__ == '__main__':
    main()
