"""Benchmark: fast J&F (``davis.jf_per_frame``) vs the literal reference.

Times the per-frame DAVIS J and F of the slow, literal full-frame reference
(``davis_reference``, the official algorithm) against the fast cropped
implementation on 480x854 masks, single-threaded, and checks that both give
identical values (max |diff|).

Mask sets:
  * ``ellipse-small/medium/large``: a GT ellipse and a prediction ellipse
    with jittered centre/axes (realistic object-like masks).
  * ``sa-v``: the real SA-V masklets of sav_000001 (848x480 portrait,
    transposed to 480x848 and padded to 480x854), prediction = the same
    object's mask 3 frames later (a realistic imperfect prediction).
  * ``empty-pred``: GT ellipse vs empty prediction.

Usage::

    python benchmarks/bench_jf.py [--frames 60] [--repeat 3]
"""
import argparse
import json
import os
import time

import cv2
import numpy as np
import torch

from rvos_plugin.evaluation.functional import davis, davis_reference

CLOCK = time.process_time  # CPU time: robust to other jobs on shared cores
SAV_JSON = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'data',
    'sa-v_sav_000001_masklets', 'sav_000001_manual.json')
H, W = 480, 854


def ellipse_pairs(rng, num, scale):
    """``num`` (gt, pred) ellipse pairs; ``scale`` = semi-axis range."""
    yy, xx = np.mgrid[:H, :W]
    pairs = []
    for _ in range(num):
        cy, cx = rng.uniform(0.2, 0.8) * H, rng.uniform(0.2, 0.8) * W
        a, b = rng.uniform(*scale, 2)
        gt = ((yy - cy)**2 / a**2 + (xx - cx)**2 / b**2) <= 1
        cy2, cx2 = cy + rng.normal(0, 4), cx + rng.normal(0, 4)
        a2, b2 = a * rng.uniform(0.9, 1.1), b * rng.uniform(0.9, 1.1)
        pred = ((yy - cy2)**2 / a2**2 + (xx - cx2)**2 / b2**2) <= 1
        pairs.append((gt, pred))
    return pairs


def sav_pairs(num):
    """(gt, pred) pairs from the real SA-V masklets, or [] when absent."""
    if not os.path.isfile(SAV_JSON):
        return []
    from pycocotools import mask as mask_utils
    with open(SAV_JSON) as f:
        masklet = json.load(f)['masklet']
    pairs = []
    for t in range(len(masklet) - 3):
        for obj in range(len(masklet[t])):
            gt = mask_utils.decode(masklet[t][obj]).T
            pred = mask_utils.decode(masklet[t + 3][obj]).T
            pad = ((0, H - gt.shape[0]), (0, W - gt.shape[1]))
            pairs.append((np.pad(gt, pad) > 0, np.pad(pred, pad) > 0))
            if len(pairs) == num:
                return pairs
    return pairs


def time_interleaved(pairs, repeat):
    """Time reference and fast frame by frame, alternately.

    The machine is shared: CPU time (not wall time) is measured, and the
    two implementations alternate on every frame so both see the same cache
    and frequency conditions. Returns the best-of-``repeat`` CPU seconds per
    frame of each and of the (T, H, W) batch call, plus the values of both
    for the exactness check.
    """
    gt = np.stack([g for g, _ in pairs])
    pred = np.stack([p for _, p in pairs])
    t_ref = t_fast = t_video = float('inf')
    for _ in range(repeat):
        ref_total = fast_total = 0.0
        ref_values, fast_values = [], []
        for g, p in pairs:
            start = CLOCK()
            ref_values.append((davis_reference.reference_iou(g, p),
                               davis_reference.reference_boundary(g, p)))
            middle = CLOCK()
            j, f = davis.jf_per_frame(p, g)
            fast_total += CLOCK() - middle
            ref_total += middle - start
            fast_values.append((j[0], f[0]))
        start = CLOCK()
        davis.jf_per_frame(pred, gt)
        t_video = min(t_video, CLOCK() - start)
        t_ref, t_fast = min(t_ref, ref_total), min(t_fast, fast_total)
    num = len(pairs)
    return (t_ref / num, t_fast / num, t_video / num, np.array(ref_values),
            np.array(fast_values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=60)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--wall', action='store_true',
                        help='measure wall time instead of CPU time')
    args = parser.parse_args()
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    rng = np.random.default_rng(args.seed)
    sets = {
        'ellipse-small': ellipse_pairs(rng, args.frames, (10, 40)),
        'ellipse-medium': ellipse_pairs(rng, args.frames, (40, 120)),
        'ellipse-large': ellipse_pairs(rng, args.frames, (120, 260)),
        'sa-v': sav_pairs(args.frames),
        'empty-pred': [(g, np.zeros_like(g)) for g, _ in ellipse_pairs(
            rng, args.frames, (40, 120))],
    }
    print(f'clock: {CLOCK.__name__}, best of {args.repeat}, '
          f'load average {os.getloadavg()[0]:.1f}\n')
    print('| masks | frames | reference ms/frame | fast ms/frame | '
          'fast (T,H,W) ms/frame | speed-up (per frame) | '
          'max abs diff J, F |')
    print('|---|---|---|---|---|---|---|')
    for name, pairs in sets.items():
        if not pairs:
            print(f'| {name} | 0 | skipped: {SAV_JSON} absent | | | | |')
            continue
        t_ref, t_fast, t_video, v_ref, v_fast = time_interleaved(
            pairs, args.repeat)
        diff = np.abs(v_ref - v_fast).max(0)
        print(f'| {name} | {len(pairs)} | {t_ref * 1e3:.3f} | '
              f'{t_fast * 1e3:.3f} | {t_video * 1e3:.3f} | '
              f'{t_ref / t_fast:.1f}x | {diff[0]:.1f}, {diff[1]:.1f} |')


if __name__ == '__main__':
    main()
