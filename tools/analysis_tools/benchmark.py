"""Inference speed and peak memory of a config's model on its test split.

    python tools/analysis_tools/benchmark.py CONFIG [CHECKPOINT] \
        [--num-samples 20] [--warmup 2] [--device cuda|cpu] [--out FILE.json]

Runs ``model.test_step`` on the first ``--num-samples`` samples of the
config's test dataloader (one (video, expression) each, batch 1), after
``--warmup`` untimed samples, and reports

- ``fps``: segmented frames per second of model time (data preprocessing
  on the device + forward + post-processing; data loading excluded),
- ``seconds_per_sample`` and ``frames``,
- ``peak_memory_mb``: on CUDA ``torch.cuda.max_memory_allocated`` during the
  timed samples; on CPU the process's peak resident set size
  (``ru_maxrss``, model and data included),
- ``rss_after_load_mb`` on CPU: the resident set once the model is built.

Without a checkpoint the model is timed with its initial weights (same
cost). Same code on CPU and GPU; the device is CUDA when available.
"""
import argparse
import json
import os.path as osp
import resource
import sys
import time

_REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--num-samples', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--device', help='cuda, cuda:1, cpu (default auto)')
    parser.add_argument('--out', help='also write the figures as json')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE')
    return parser.parse_args(argv)


def _rss_mb() -> float:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def benchmark(cfg, checkpoint=None, num_samples=20, warmup=2,
              device=None) -> dict:
    """Time ``num_samples`` test samples; see the module docstring."""
    import torch
    from mmengine.runner import Runner, load_checkpoint

    from rvos_plugin.apis.rvos_inferencer import RVOSInferencer
    from rvos_plugin.registry import MODELS
    RVOSInferencer._import_custom_modules(cfg)
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = MODELS.build(cfg.model)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu')
    model.to(device).eval()
    loader_cfg = dict(cfg.test_dataloader)
    loader_cfg.update(batch_size=1, num_workers=0, persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg)
    cuda = torch.device(device).type == 'cuda'
    rss_loaded = _rss_mb()
    if cuda:
        torch.cuda.synchronize(device)
    elapsed, frames, timed = 0.0, 0, 0
    for index, data in enumerate(loader):
        if index >= warmup + num_samples:
            break
        if index == warmup and cuda:
            torch.cuda.reset_peak_memory_stats(device)
        start = time.perf_counter()
        with torch.no_grad():
            model.test_step(data)
        if cuda:
            torch.cuda.synchronize(device)
        if index >= warmup:
            elapsed += time.perf_counter() - start
            frames += int(data['inputs'][0].shape[0])
            timed += 1
    if not timed:
        raise SystemExit(f'The test split has {index + 1} samples, fewer '
                         f'than --warmup {warmup} + 1.')
    result = dict(
        config=cfg.filename, checkpoint=checkpoint, device=str(device),
        samples=timed, frames=frames, seconds=round(elapsed, 4),
        fps=round(frames / elapsed, 3),
        seconds_per_sample=round(elapsed / timed, 4),
        torch_threads=torch.get_num_threads())
    if cuda:
        result['peak_memory_mb'] = round(
            torch.cuda.max_memory_allocated(device) / 2**20, 1)
    else:
        result['peak_memory_mb'] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        result['rss_after_load_mb'] = round(rss_loaded, 1)
    return result


def main(argv=None):
    args = parse_args(argv)
    import rvos_plugin  # noqa: F401
    from mmengine.config import Config, DictAction
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        ns = argparse.Namespace()
        DictAction(option_strings=[], dest='o')(None, ns, args.cfg_options)
        cfg.merge_from_dict(ns.o)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    result = benchmark(cfg, args.checkpoint, args.num_samples, args.warmup,
                       args.device)
    print(json.dumps(result, indent=1))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == '__main__':
    main()
