"""Exactness sweep: fast ``davis.jf_per_frame`` vs the literal reference.

Random, structured (ellipses, rectangles, shifted copies, full/empty frames)
and real SA-V mask pairs at many frame sizes, with and without void pixels;
prints the number of pairs and the max |diff| of J and F.

Usage::

    python benchmarks/jf_exactness_sweep.py [--pairs-per-size 24]
"""
import argparse

import cv2
import numpy as np

from rvos_plugin.evaluation.functional import davis, davis_reference
from bench_jf import sav_pairs

SIZES = [(1, 50), (50, 1), (2, 2), (7, 13), (32, 32), (64, 48), (100, 177),
         (240, 320), (360, 640), (480, 854), (720, 1280), (848, 480),
         (1080, 1920)]


def structured(rng, shape):
    """A (gt, pred) pair of object-like masks."""
    h, w = shape
    yy, xx = np.mgrid[:h, :w]
    kind = rng.integers(5)
    cy, cx = rng.uniform(-0.1, 1.1) * h, rng.uniform(-0.1, 1.1) * w
    a, b = rng.uniform(0.5, 0.6 * h + 1), rng.uniform(0.5, 0.6 * w + 1)
    if kind == 0:  # ellipses
        gt = ((yy - cy)**2 / a**2 + (xx - cx)**2 / b**2) <= 1
        dy, dx = rng.normal(0, 0.02 * h + 1), rng.normal(0, 0.02 * w + 1)
        pred = ((yy - cy - dy)**2 / a**2 + (xx - cx - dx)**2 / b**2) <= 1
    elif kind == 1:  # rectangles shifted by a few pixels
        gt = (abs(yy - cy) <= a) & (abs(xx - cx) <= b)
        pred = np.roll(gt, (rng.integers(-12, 13), rng.integers(-12, 13)),
                       axis=(0, 1))
    elif kind == 2:  # noisy blobs
        gt = rng.random(shape) < rng.uniform(0.01, 0.9)
        pred = rng.random(shape) < rng.uniform(0.01, 0.9)
    elif kind == 3:  # full or empty frames
        gt = np.full(shape, bool(rng.integers(2)))
        pred = np.full(shape, bool(rng.integers(2)))
        pred[: int(rng.integers(h + 1))] ^= bool(rng.integers(2))
    else:  # one object vs a dilated/eroded copy
        gt = ((yy - cy)**2 / a**2 + (xx - cx)**2 / b**2) <= 1
        kernel = np.ones((3, 3), np.uint8)
        op = cv2.dilate if rng.integers(2) else cv2.erode
        pred = op(gt.astype(np.uint8), kernel).astype(bool)
    return gt, pred


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pairs-per-size', type=int, default=24)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    rng = np.random.default_rng(args.seed)
    pairs = [structured(rng, size) for size in SIZES
             for _ in range(args.pairs_per_size)]
    pairs += sav_pairs(120)
    max_j = max_f = 0.0
    count = 0
    for gt, pred in pairs:
        for use_void in (False, True):
            void = (rng.random(gt.shape) < 0.05) if use_void else None
            j, f = davis.jf_per_frame(pred, gt, void)
            j_ref = davis_reference.reference_iou(gt, pred, void)
            f_ref = davis_reference.reference_boundary(gt, pred, void)
            max_j = max(max_j, abs(j[0] - j_ref))
            max_f = max(max_f, abs(f[0] - f_ref))
            count += 1
    print(f'{count} evaluations ({len(pairs)} pairs x with/without void, '
          f'{len(SIZES)} sizes + real SA-V): max |diff| J {max_j}, '
          f'F {max_f}')


if __name__ == '__main__':
    main()
