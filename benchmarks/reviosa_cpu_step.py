"""Time one ReVIOsA CPU training step and one video inference (1 thread).

    python benchmarks/reviosa_cpu_step.py --data-root data/synthetic_rvos

Results: benchmarks/reviosa_results.md.
"""
import argparse
import os.path as osp
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

CONFIG = osp.join(REPO, 'configs', 'reviosa',
                  'reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--data-root', default='data/synthetic_rvos')
    parser.add_argument('--steps', type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    import projects.ReVIOsA.reviosa  # noqa: F401
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
    times = []
    for step in range(args.steps + 1):
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
    model.eval()
    data = model.data_preprocessor(pseudo_collate([val[0]]), False)
    t = time.perf_counter()
    with torch.no_grad():
        model(**data, mode='predict')
    print(f'predict one video ({data["inputs"].shape[1]} frames): '
          f'{time.perf_counter() - t:.3f} s')


if __name__ == '__main__':
    main()
