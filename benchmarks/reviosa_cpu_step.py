"""Time one ReVIOsA CPU training step and one video inference (1 thread).

    python benchmarks/reviosa_cpu_step.py --data-root data/synthetic_rvos
    # + forward seconds per submodule (two levels below the model)
    python benchmarks/reviosa_cpu_step.py --data-root data/synthetic_rvos_1200 --per-module

Results: benchmarks/reviosa_results.md.
"""
import argparse
import collections
import os.path as osp
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

CONFIG = osp.join(REPO, 'configs', 'reviosa',
                  'reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py')


def add_forward_timers(model, seconds: dict, depth: int = 2) -> None:
    """Accumulate each submodule's forward time (up to ``depth`` dots in its
    name) in ``seconds``; nested modules count inside their parents."""
    for name, module in model.named_modules():
        if not name or name.count('.') > depth:
            continue

        def start(mod, _inputs):
            mod._timer_start = time.perf_counter()

        def stop(mod, _inputs, _output, name=name):
            seconds[name] += time.perf_counter() - mod._timer_start

        module.register_forward_pre_hook(start)
        module.register_forward_hook(stop)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--data-root', default='data/synthetic_rvos')
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--per-module', action='store_true',
                        help='also print the forward time of the submodules')
    args = parser.parse_args()
    torch.set_num_threads(1)
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    import projects.ReVIOsA.reviosa.cpu_recipe  # noqa: F401
    import rvos_plugin  # noqa: F401
    from rvos_plugin.registry import DATASETS, MODELS
    init_default_scope('mmdet')
    cfg = Config.fromfile(CONFIG)
    for key in ('train_dataloader', 'val_dataloader'):
        cfg[key].dataset.data_root = args.data_root
    t = time.perf_counter()
    model = MODELS.build(cfg.model)
    print(f'build {time.perf_counter() - t:.2f} s')
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    opt = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-4)
    bs = cfg.train_dataloader.batch_size
    module_time = collections.defaultdict(float)
    if args.per_module:
        add_forward_timers(model, module_time)
    times = []
    for step in range(args.steps + 1):
        if step == 1:
            module_time.clear()  # the warm-up step is not counted
        batch = pseudo_collate([train[i] for i in range(step * bs,
                                                        (step + 1) * bs)])
        t = time.perf_counter()
        data = model.data_preprocessor(batch, True)
        loss = sum(model(**data, mode='loss').values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t)
    print(f'train step (batch {bs}, model only, after 1 warm-up): '
          f'{sum(times[1:]) / args.steps:.3f} s')
    for name, sec in sorted(module_time.items(), key=lambda kv: -kv[1]):
        if sec / args.steps >= 0.005:
            print(f'  forward {name}: {sec / args.steps:.3f} s')
    model.eval()
    data = model.data_preprocessor(pseudo_collate([val[0]]), False)
    t = time.perf_counter()
    with torch.no_grad():
        model(**data, mode='predict')
    print(f'predict one video ({data["inputs"].shape[1]} frames): '
          f'{time.perf_counter() - t:.3f} s')


if __name__ == '__main__':
    main()
