"""Generate the embedded synthetic RVOS dataset (InterRVOS/MeViS format).

Example::

    python tools/dataset_converters/make_synthetic_rvos.py \
        --out data/synthetic_rvos --seed 0 --num-train 300 --num-val 60

Re-running with the same parameters is a no-op; ``--force`` regenerates.
"""
import argparse
import json

from rvos_plugin.datasets.synthetic import generate_synthetic_rvos
from rvos_plugin.datasets.synthetic.expressions import GENERIC_REFERENT_PROB


def parse_size(text: str):
    """``'96'`` -> 96, ``'64x96'`` -> (64, 96) as (height, width)."""
    parts = text.lower().split('x')
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--size must be S or HxW (e.g. 96 or 64x96), got {text!r}')
    if len(values) == 1:
        return values[0]
    if len(values) == 2:
        return tuple(values)
    raise argparse.ArgumentTypeError(
        f'--size must be S or HxW (e.g. 96 or 64x96), got {text!r}')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True, help='dataset root')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-train', type=int, default=300)
    parser.add_argument('--num-val', type=int, default=60)
    parser.add_argument('--size', type=parse_size, default=96,
                        help='frame size S (square) or HxW')
    parser.add_argument('--min-frames', type=int, default=8)
    parser.add_argument('--max-frames', type=int, default=16)
    parser.add_argument('--min-objects', type=int, default=2)
    parser.add_argument('--max-objects', type=int, default=4)
    parser.add_argument('--fps', type=float, default=10.0)
    parser.add_argument('--jpeg-quality', type=int, default=95)
    parser.add_argument(
        '--train-generic-referent-prob', type=float,
        default=GENERIC_REFERENT_PROB,
        help='probability that a train-split unidirectional expression names '
        'its referred object generically ("the object pushing the red '
        f'circle"); the valid split always uses {GENERIC_REFERENT_PROB}')
    parser.add_argument('--no-mp4', action='store_true',
                        help='skip <split>/videos/<vid>.mp4')
    parser.add_argument('--force', action='store_true',
                        help='regenerate even if a dataset exists')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    summary = generate_synthetic_rvos(
        args.out,
        seed=args.seed,
        num_train=args.num_train,
        num_val=args.num_val,
        size=args.size,
        min_frames=args.min_frames,
        max_frames=args.max_frames,
        min_objects=args.min_objects,
        max_objects=args.max_objects,
        write_mp4=not args.no_mp4,
        fps=args.fps,
        jpeg_quality=args.jpeg_quality,
        train_generic_referent_prob=args.train_generic_referent_prob,
        force=args.force)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == '__main__':
    main()
