"""Time the full WSRVOS Swin-T model on a 4x360x640 clip on CPU.

Random weights (``pretrained=None``; RoBERTa-base architecture built from a
config), one thread by default. Times the inference forward (``tensor`` mode:
one expression) and the training step (``loss`` mode with P + N = 54
expressions, forward + backward).

Usage::

    python benchmarks/bench_wsrvos_forward.py [--threads 1] [--repeats 3]
        [--skip-train]
"""
import argparse
import os.path as osp
import sys

_HERE = osp.dirname(osp.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from wsrvos_real_size import build_model, make_samples, timeit  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--skip-train', action='store_true')
    args = parser.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    T, H, W = 4, 360, 640
    model = build_model()
    x = torch.randn(1, T, 3, H, W)
    samples = make_samples(T, H, W)
    model.eval()

    def infer():
        with torch.no_grad():
            model(x, samples, mode='tensor')

    med, best = timeit(infer, args.repeats)
    print(f'inference forward (tensor mode, 1 expression), {T}x{H}x{W}, '
          f'{args.threads} thread(s): median {med:.2f} s, min {best:.2f} s '
          f'({T / med:.2f} frames/s)')
    if not args.skip_train:
        model.train()

        def step():
            losses = model(x, samples, mode='loss')
            sum(v for k, v in losses.items() if 'loss' in k).backward()
            model.zero_grad(set_to_none=True)

        med, best = timeit(step, max(1, args.repeats - 1))
        print(f'training step (loss mode, P+N=54, forward+backward): median '
              f'{med:.2f} s, min {best:.2f} s')


if __name__ == '__main__':
    main()
