"""Does the ReVIOsA seg-token prompt steer the mask decoder?

On the unidirectional (actor-target) validation expressions of the synthetic
set, reports the answer-token accuracy, the actor / target mask IoU with the
GT, the IoU *between* the predicted actor and target masks (1.0 = the
decoder ignores the prompt and segments the same thing for both tokens), and
the swapped IoUs (predicted actor vs GT target, predicted target vs GT
actor: high values = the tokens pick the wrong noun phrase).

    OMP_NUM_THREADS=1 python benchmarks/reviosa_prompt_diagnosis.py \\
        CONFIG CHECKPOINT [--max-items 48]
"""
import argparse
import os.path as osp
import sys

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)


def iou(a: torch.Tensor, b: torch.Tensor) -> float:
    """IoU of two boolean mask stacks over all frames (1.0 if both empty)."""
    union = (a | b).sum().item()
    return 1.0 if union == 0 else (a & b).sum().item() / union


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--max-items', type=int, default=48)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import projects.ReVIOsA.reviosa.cpu_recipe  # noqa: F401
    import rvos_plugin  # noqa: F401
    from rvos_plugin.registry import DATASETS, MODELS
    from rvos_plugin.structures.rvos_sample import (has_frame_masks,
                                                    stack_frame_masks)
    init_default_scope('mmdet')
    cfg = Config.fromfile(args.config)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()
    val = DATASETS.build(cfg.val_dataloader.dataset)
    rows = []
    for i in range(len(val)):
        if len(rows) >= args.max_items:
            break
        if not val.get_data_info(i).get('has_target', False):
            continue
        data = model.data_preprocessor(pseudo_collate([val[i]]), False)
        with torch.no_grad():
            out = model(**data, mode='predict')[0]
        ans = out.metainfo['pred_answer']
        pa = stack_frame_masks(out, 'pred_mask').bool()
        ga = stack_frame_masks(out, 'gt_mask').bool()
        gt = stack_frame_masks(out, 'gt_target_mask').bool()
        has_tar = has_frame_masks(out, 'pred_target_mask')
        pt = stack_frame_masks(out, 'pred_target_mask').bool() \
            if has_tar else torch.zeros_like(pa)
        rows.append(dict(
            tokens=float(any('[SEG_ACT]' in a.upper() for a in ans)
                         and any('[SEG_TAR]' in a.upper() for a in ans)),
            actor=iou(pa, ga), target=iou(pt, gt), act_vs_tar=iou(pa, pt),
            gt_act_vs_tar=iou(ga, gt), actor_vs_gt_target=iou(pa, gt),
            target_vs_gt_actor=iou(pt, ga)))
    keys = rows[0].keys()
    print(f'{len(rows)} unidirectional val expressions')
    for k in keys:
        print(f'  {k}: {np.mean([r[k] for r in rows]):.3f}')


if __name__ == '__main__':
    main()
