"""Time PixelAdaptiveRefinement (PAR) per frame.

Usage: python benchmarks/bench_mask_refinement.py [--threads N]
Prints seconds per clip and per frame for the CPU recipe's 16 frames at 96x96
and for 360x640 frames (the real configs' resolution), PAR defaults.
"""
import argparse
import os
import time

import torch

from rvos_plugin.models.layers.pixel_adaptive_refinement import \
    PixelAdaptiveRefinement


def time_refinement(frames: int, h: int, w: int, repeats: int) -> float:
    """Median wall time in seconds of one refinement of ``frames`` frames."""
    torch.manual_seed(0)
    par = PixelAdaptiveRefinement()
    images, probs = torch.randn(frames, 3, h, w), torch.rand(frames, 1, h, w)
    par(images, probs)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        par(images, probs)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f'threads {args.threads}, load average {os.getloadavg()}')
    for frames, h, w, repeats in ((16, 96, 96, 7), (8, 360, 640, 3)):
        t = time_refinement(frames, h, w, repeats)
        print(f'{frames} frames {h}x{w}: {t:.3f} s per clip, '
              f'{t / frames * 1000:.1f} ms per frame')


if __name__ == '__main__':
    main()
