"""Per-item breakdown of ReVIOsA on the actor-target val expressions.

Groups the unidirectional (actor-target) val items by what names the actor
("generic referent": "the object being chased by the purple square"; named:
"the red diamond being pushed by ...") and the counterpart ("another object"
or named), by voice and by verb, and prints the mean per-frame J of the actor
and the target, their overlap with the other role's GT mask and the IoU
between the two predicted masks. ``--oracle-target-context`` gives a model
with ``target_context_for_actor`` the GT target mask instead of its predicted
one (an upper bound of that mechanism). Results:
``benchmarks/reviosa_results.md``.

    OMP_NUM_THREADS=2 python benchmarks/reviosa_actor_target_breakdown.py \\
        CONFIG CHECKPOINT [--oracle-target-context] [--out items.json]
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np
import torch
import torch.nn.functional as F

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.join(REPO, 'benchmarks'))

GENERIC = ('object', 'shape')
VERBS = ('push', 'hit', 'chas', 'follow')


def frame_iou(pred: torch.Tensor, gt: torch.Tensor) -> list:
    """Per-frame IoU of two (T, H, W) bool stacks (1.0 if both empty)."""
    out = []
    for p, g in zip(pred, gt):
        union = (p | g).sum().item()
        out.append(1.0 if union == 0 else (p & g).sum().item() / union)
    return out


def decode_object(rles: list, shape: tuple) -> torch.Tensor:
    """(T, H, W) bool masks of one object from its per-frame RLEs."""
    from pycocotools import mask as mask_utils
    frames = [np.zeros(shape[1:], bool) if r is None
              else mask_utils.decode(r).astype(bool) for r in rles]
    out = torch.from_numpy(np.stack(frames))
    if out.shape != tuple(shape):
        out = F.interpolate(out[:, None].float(), size=shape[-2:],
                            mode='nearest')[:, 0].bool()
    return out


def describe(expression: str) -> dict:
    words = expression.split()
    return dict(passive=' being ' in expression,
                generic_referent=len(words) > 1 and words[1] in GENERIC,
                generic_counterpart='another' in words)


def report(rows: list) -> None:
    groups = [('all', lambda r: True),
              ('active', lambda r: not r['passive']),
              ('passive', lambda r: r['passive']),
              ('generic referent', lambda r: r['generic_referent']),
              ('named referent', lambda r: not r['generic_referent']),
              ('generic counterpart', lambda r: r['generic_counterpart']),
              ('named counterpart', lambda r: not r['generic_counterpart'])]
    for verb in VERBS:
        groups.append((verb, lambda r, v=verb: v in r['expression']))
        groups.append((f'{verb}, generic referent',
                       lambda r, v=verb: v in r['expression']
                       and r['generic_referent']))
    print(f'{"group":28} {"n":>3} {"actor J":>8} {"target J":>9} '
          f'{"actor~GT tar":>13} {"tar~GT actor":>13} {"actor~tar":>10} '
          f'{"actor~other":>12} {"actor area":>11}')
    for name, keep in groups:
        sel = [r for r in rows if keep(r)]
        if not sel:
            continue
        m = {k: np.mean([r[k] for r in sel])
             for k in ('actor_j', 'target_j', 'actor_on_gt_target',
                       'target_on_gt_actor', 'actor_vs_target',
                       'actor_on_other', 'actor_area_ratio')}
        print(f'{name:28} {len(sel):3d} {m["actor_j"]:8.3f} '
              f'{m["target_j"]:9.3f} {m["actor_on_gt_target"]:13.3f} '
              f'{m["target_on_gt_actor"]:13.3f} {m["actor_vs_target"]:10.3f} '
              f'{m["actor_on_other"]:12.3f} {m["actor_area_ratio"]:11.2f}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--oracle-target-context', action='store_true')
    parser.add_argument('--out', help='write the per-item rows as JSON')
    args = parser.parse_args()
    from mmengine.dataset import pseudo_collate
    from reviosa_checkpoint import load_model

    from rvos_plugin.registry import DATASETS
    from rvos_plugin.structures.rvos_sample import stack_frame_masks
    cfg, model = load_model(args.config, args.checkpoint)
    if args.oracle_target_context and not model.target_context_for_actor:
        raise SystemExit('--oracle-target-context needs a model with '
                         'target_context_for_actor=True.')
    val = DATASETS.build(cfg.val_dataloader.dataset)
    video_annos = {}
    for i in range(len(val)):
        info = val.get_data_info(i)
        video_annos.setdefault(info['video_id'], set()).update(
            info['anno_ids'] + info.get('target_anno_ids', []))
    with open(val.get_data_info(0)['mask_source']) as f:
        all_rles = json.load(f)
    rows = []
    real_context = type(model).actor_context
    with torch.no_grad():
        for i in range(len(val)):
            info = val.get_data_info(i)
            if not info.get('has_target'):
                continue
            data = model.data_preprocessor(pseudo_collate([val[i]]), False)
            sample = data['data_samples'][0]
            if args.oracle_target_context:
                gt_t = stack_frame_masks(sample, 'gt_target_mask').float()

                def oracle(mask, frame_inds=None, _gt=gt_t):
                    gt = F.interpolate(_gt[:, None], size=mask.shape[-2:],
                                       mode='nearest')
                    return real_context(model, gt, frame_inds)

                model.actor_context = oracle
            out = model(**data, mode='predict')[0]
            masks = {k: stack_frame_masks(out, k).bool()
                     for k in ('pred_mask', 'gt_mask', 'pred_target_mask',
                               'gt_target_mask')}
            actor_frames = frame_iou(masks['pred_mask'], masks['gt_mask'])
            roles = set(info['anno_ids'] + info['target_anno_ids'])
            others = [decode_object(all_rles[str(a)], masks['gt_mask'].shape)
                      for a in sorted(video_annos[info['video_id']] - roles)]
            actor_on_other = max(
                [float(np.mean(frame_iou(masks['pred_mask'], o)))
                 for o in others], default=0.0)
            rows.append(dict(
                describe(info['expression']),
                expression=info['expression'],
                actor_j=float(np.mean(actor_frames)),
                target_j=float(np.mean(frame_iou(masks['pred_target_mask'],
                                                 masks['gt_target_mask']))),
                actor_on_gt_target=float(np.mean(frame_iou(
                    masks['pred_mask'], masks['gt_target_mask']))),
                target_on_gt_actor=float(np.mean(frame_iou(
                    masks['pred_target_mask'], masks['gt_mask']))),
                actor_on_other=actor_on_other,
                actor_area_ratio=float(masks['pred_mask'].sum()) / max(
                    1.0, float(masks['gt_mask'].sum())),
                actor_vs_target=float(np.mean(frame_iou(
                    masks['pred_mask'], masks['pred_target_mask'])))))
    report(rows)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=1)


if __name__ == '__main__':
    main()
