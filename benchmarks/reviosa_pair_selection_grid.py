"""Grid of ``select_actor_target_pair`` settings on one ReVIOsA checkpoint.

Decodes the actor-target items of a split once (the actor's context is the
raw predicted target, as in ``ReVIOsA.predict``), then applies the pair
selection with each (threshold, distance weight) and prints the actor and
target J&F of the actor-target items. Session 8 chose the CPU config's
setting on a separate dev split, not on val (``benchmarks/reviosa_results.md``,
"Session 8"):

    python tools/dataset_converters/make_synthetic_rvos.py \\
        --out data/synthetic_rvos_dev --seed 7 --num-train 1 --num-val 120 \\
        --no-mp4
    OMP_NUM_THREADS=2 python benchmarks/reviosa_pair_selection_grid.py \\
        CONFIG CHECKPOINT --data-root data/synthetic_rvos_dev
"""
import argparse
import os.path as osp
import sys

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.join(REPO, 'benchmarks'))


def decode_items(model, dataset) -> list:
    """Raw actor / target logits and GT masks of the actor-target items."""
    import projects.ReVIOsA.reviosa.cpu_recipe.model as reviosa_module
    from mmengine.dataset import pseudo_collate
    from rvos_plugin.structures.rvos_sample import stack_frame_masks
    seen = {}

    def record(actor, target, **kwargs):
        seen.update(act=actor, tar=target)
        return actor, target

    # the model's own predict(), with the selection replaced by a recorder
    model.actor_nearest_component = False
    model.actor_target_pair = {}
    real = reviosa_module.select_actor_target_pair
    reviosa_module.select_actor_target_pair = record
    items = []
    try:
        with torch.no_grad():
            for i in range(len(dataset)):
                if not dataset.get_data_info(i).get('has_target'):
                    continue
                seen.clear()
                data = model.data_preprocessor(
                    pseudo_collate([dataset[i]]), False)
                out = model(**data, mode='predict')[0]
                items.append(dict(
                    seen, gt=stack_frame_masks(out, 'gt_mask').bool(),
                    gt_tar=stack_frame_masks(out, 'gt_target_mask').bool(),
                    pred=stack_frame_masks(out, 'pred_mask').bool(),
                    pred_tar=stack_frame_masks(out,
                                               'pred_target_mask').bool()))
    finally:
        reviosa_module.select_actor_target_pair = real
    return items


def mean_jf(pairs) -> float:
    from rvos_plugin.evaluation.functional.davis import jf_per_frame
    scores = []
    for pred, gt in pairs:
        j, f = jf_per_frame(pred.numpy(), gt.numpy())
        scores.append((j.mean() + f.mean()) / 2)
    return float(np.mean(scores))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data-root', help='override the val data_root')
    parser.add_argument('--thresholds', type=float, nargs='+',
                        default=[0.2, 0.3, 0.4, 0.5])
    parser.add_argument('--weights', type=float, nargs='+',
                        default=[2.0, 5.0, 10.0])
    args = parser.parse_args()
    from reviosa_checkpoint import load_model

    from projects.ReVIOsA.reviosa.cpu_recipe.pair_selection import \
        select_actor_target_pair
    from rvos_plugin.registry import DATASETS
    cfg, model = load_model(args.config, args.checkpoint)
    data_cfg = cfg.val_dataloader.dataset
    if args.data_root:
        data_cfg.data_root = args.data_root
    items = decode_items(model, DATASETS.build(data_cfg))
    decoded = [it for it in items if 'act' in it]
    print(f'{len(items)} actor-target items, {len(decoded)} with both '
          'tokens generated (the others score as the model output them)')

    def report(name, select):
        act, tar = [], []
        for it in items:
            if 'act' in it:
                a, t = select(it['act'], it['tar'])
                act.append((a.sigmoid() > 0.5, it['gt']))
                tar.append((t.sigmoid() > 0.5, it['gt_tar']))
            else:
                act.append((it['pred'], it['gt']))
                tar.append((it['pred_tar'], it['gt_tar']))
        a, t = mean_jf(act), mean_jf(tar)
        print(f'{name:32} actor J&F {a:.3f}  target J&F {t:.3f}  '
              f'mean {(a + t) / 2:.3f}')

    report('no selection', lambda a, t: (a, t))
    for thr in args.thresholds:
        for weight in args.weights:
            report(f'threshold {thr}, weight {weight}',
                   lambda a, t, thr=thr, w=weight: select_actor_target_pair(
                       a, t, threshold=thr, distance_weight=w))


if __name__ == '__main__':
    main()
