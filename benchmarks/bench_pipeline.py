"""Frames per second through the Ref-YTVOS training pipeline at 360p.

Builds a Ref-YouTube-VOS-format fixture (640x360 JPEG frames, palette PNG
masks) under a temporary folder and runs the training pipeline of
``configs/_base_/datasets/ref-ytvos.py``:

1. in the main process, single-threaded (``dataset[i]`` in a loop);
2. through a torch ``DataLoader`` with ``num_workers`` worker processes
   (mmengine ``pseudo_collate``, batch size 1, one thread per worker), the
   realistic figure for a 2-core machine.

The machine load (``os.getloadavg``, as printed by ``uptime``) is measured
before each run. With ``--profile`` a cProfile of the single-threaded run is
printed (top functions by own time). Unless ``--no-append``, the table rows
are added to the table of the "Data pipeline throughput (datasets)"
section of ``benchmarks/README.md``.

Usage: python benchmarks/bench_pipeline.py [--samples 60] [--workers 2]
       [--profile] [--no-append]
"""
import argparse
import os
import os.path as osp
import platform
import tempfile
import time

import cv2
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SECTION = '## Data pipeline throughput (datasets)'


def load_text() -> str:
    """Load averages over 1, 5, 15 min (what ``uptime`` prints)."""
    return 'load {:.2f}, {:.2f}, {:.2f}'.format(*os.getloadavg())


def run_single(dataset, samples: int, profile: bool = False):
    """Frames/s of ``dataset[i]`` in this process; returns (fps, seconds)."""
    dataset[0]  # warm-up (imports, first file opens)
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    frames = 0
    start = time.perf_counter()
    for i in range(samples):
        frames += dataset[i % len(dataset)]['inputs'].shape[0]
    elapsed = time.perf_counter() - start
    if profiler is not None:
        import pstats
        profiler.disable()
        pstats.Stats(profiler).sort_stats('tottime').print_stats(15)
    return frames / elapsed, elapsed


def _worker_init(worker_id: int) -> None:
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def run_loader(dataset, samples: int, workers: int):
    """Frames/s through a DataLoader; the first ``2 * workers`` batches
    (worker start-up) are not timed. Returns (fps, seconds)."""
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader, Subset
    warm = 2 * workers
    indices = [i % len(dataset) for i in range(samples + warm)]
    loader = DataLoader(Subset(dataset, indices), batch_size=1,
                        num_workers=workers, collate_fn=pseudo_collate,
                        worker_init_fn=_worker_init, prefetch_factor=4)
    frames = 0
    start = None
    for k, batch in enumerate(loader):
        if k == warm:
            start = time.perf_counter()
        if k >= warm:
            frames += sum(x.shape[0] for x in batch['inputs'])
    elapsed = time.perf_counter() - start
    return frames / elapsed, elapsed


def write_section(rows) -> None:
    """Add the rows to this benchmark's table in benchmarks/README.md
    (earlier rows are kept as the history; the section is created if
    absent)."""
    path = osp.join(REPO, 'benchmarks', 'README.md')
    text = open(path).read() if osp.isfile(path) else ''
    if SECTION not in text:
        text = (text.rstrip('\n') + f'\n\n{SECTION}\n\nGoal: >= 200 '
                'frames/s on 2 cores. Command: `python '
                'benchmarks/bench_pipeline.py`\n\n| what | size | result | '
                'machine |\n|---|---|---|---|\n')
    head, rest = text.split(SECTION, 1)
    nxt = rest.find('\n## ')
    block, tail = (rest[:nxt + 1], rest[nxt + 1:]) if nxt >= 0 else (rest, '')
    block = block.rstrip('\n') + '\n' + '\n'.join(rows) + '\n'
    with open(path, 'w') as f:
        f.write(head + SECTION + block + ('\n' + tail if tail else ''))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--samples', type=int, default=60)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--profile', action='store_true')
    parser.add_argument('--no-append', action='store_true')
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    from mmengine.config import Config

    from rvos_plugin.registry import DATASETS
    from rvos_plugin.testing import make_ref_ytvos_fixture
    from rvos_plugin.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/datasets/ref-ytvos.py'))
    machine = (f'{platform.processor() or platform.machine()}, '
               f'{os.cpu_count()} cores shared')
    what = (f'Ref-YTVOS train pipeline, 640x360 JPEG + palette PNG, '
            f'T={cfg.num_frames}, resize short 360/max 640')
    rows = []
    with tempfile.TemporaryDirectory() as root:
        make_ref_ytvos_fixture(root, size=(360, 640), num_frames=40)
        ds_cfg = cfg.train_dataloader.dataset.copy()
        ds_cfg['data_root'] = root
        dataset = DATASETS.build(ds_cfg)
        load = load_text()
        fps, elapsed = run_single(dataset, args.samples, args.profile)
        rows.append(
            f'| {what}, 1 process, 1 thread | {args.samples} samples, '
            f'{args.samples * cfg.num_frames} frames | {fps:.0f} frames/s '
            f'({elapsed / args.samples * 1000:.1f} ms/sample) | {machine}, '
            f'{load} |')
        print(rows[-1])
        if args.workers > 0:
            load = load_text()
            fps, elapsed = run_loader(dataset, args.samples, args.workers)
            rows.append(
                f'| {what}, DataLoader num_workers={args.workers} (1 thread '
                f'each), batch 1, pseudo_collate | {args.samples} samples, '
                f'{args.samples * cfg.num_frames} frames (after '
                f'{2 * args.workers} warm-up) | {fps:.0f} frames/s | '
                f'{machine}, {load} |')
            print(rows[-1])
    if not args.no_append:
        write_section(rows)


if __name__ == '__main__':
    main()
