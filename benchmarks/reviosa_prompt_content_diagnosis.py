"""Does the ReVIOsA prompt carry the expression's content? (revision 3)

Three checks on a trained checkpoint (results: benchmarks/reviosa_results.md):

* ``--check embeddings``: projected seg-token prompts of val expressions; after
  centring, the cosine between each expression and its nearest other one
  (1.00 everywhere = the prompts vary along a single direction);
* ``--check swap``: one val video segmented with several colour/shape
  expressions; pairwise IoU of the predicted masks (~1 = text ignored);
* ``--check context``: with ``target_context_for_actor``, the actor IoU on
  actor-target val expressions with the predicted vs the GT target mask as the
  actor's context (an oracle upper bound of the mechanism).

    OMP_NUM_THREADS=1 python benchmarks/reviosa_prompt_content_diagnosis.py \\
        CONFIG CHECKPOINT --check swap
"""
import argparse
import os.path as osp
import sys

import numpy as np
import torch
import torch.nn.functional as F

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

SWAP_EXPRESSIONS = ('the red object', 'the blue object', 'the orange object',
                    'the purple shape', 'the small purple shape',
                    'the big object', 'the yellow triangle')


def iou(a: torch.Tensor, b: torch.Tensor) -> float:
    """IoU of two boolean mask stacks (1.0 if both are empty)."""
    union = (a | b).sum().item()
    return 1.0 if union == 0 else (a & b).sum().item() / union


def check_embeddings(model, val, num):
    embs, exps = [], []
    for i in range(0, 3 * num, 3):
        data = model.data_preprocessor(
            model._collate([val[i]]), False)
        out = model(**data, mode='tensor')[0]
        if out['act'] is None:
            continue
        embs.append(model.projector(out['act'])[0, 0])
        exps.append(val.get_data_info(i)['expression'])
    emb = torch.stack(embs)
    print(f'{len(exps)} prompts: mean norm {emb.norm(dim=1).mean():.2f}, '
          f'std over expressions {emb.std(0).mean():.3f}')
    centred = F.normalize(emb - emb.mean(0), dim=1)
    sim = centred @ centred.T
    sim.fill_diagonal_(-2)
    best = sim.max(1)
    for k in range(min(8, len(exps))):
        print(f'  {exps[k]!r:55} nearest {exps[best.indices[k]]!r} '
              f'cos {best.values[k]:.2f}')


def check_swap(model, val, stack_frame_masks):
    data = model.data_preprocessor(model._collate([val[0]]), False)
    masks = {}
    for exp in SWAP_EXPRESSIONS:
        data['data_samples'][0].set_metainfo(dict(expression=exp))
        out = model(**data, mode='predict')[0]
        masks[exp] = stack_frame_masks(out, 'pred_mask').bool()
    print('pairwise IoU of the predicted masks (same video):')
    for a in SWAP_EXPRESSIONS:
        row = ' '.join(f'{iou(masks[a], masks[b]):.2f}'
                       for b in SWAP_EXPRESSIONS)
        print(f'  {a:25} {row}')


def check_context(model, val, num, stack_frame_masks):
    if not model.target_context_for_actor:
        raise SystemExit('--check context needs a model with '
                         'target_context_for_actor=True.')
    real = model._segment_video
    scores = {'predicted': [], 'gt': []}
    for i in range(len(val)):
        if len(scores['gt']) >= num:
            break
        if not val.get_data_info(i).get('has_target'):
            continue
        for mode in scores:
            data = model.data_preprocessor(model._collate([val[i]]), False)
            gt_t = stack_frame_masks(data['data_samples'][0],
                                     'gt_target_mask').float()

            def seg(frames, emb, cond, text=None, context=None,
                    role_index=0, _m=mode):
                if context is not None and _m == 'gt':
                    context = F.interpolate(
                        gt_t[:, None], size=frames.shape[-2:],
                        mode='nearest')[:, 0]
                return real(frames, emb, cond, text, context, role_index)

            model._segment_video = seg
            out = model(**data, mode='predict')[0]
            scores[mode].append(iou(stack_frame_masks(out, 'pred_mask').bool(),
                                    stack_frame_masks(out, 'gt_mask').bool()))
    model._segment_video = real
    print({k: round(float(np.mean(v)), 3) for k, v in scores.items()},
          f'actor IoU over {len(scores["gt"])} actor-target expressions')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--check', choices=('embeddings', 'swap', 'context'),
                        default='swap')
    parser.add_argument('--num', type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import projects.ReVIOsA.reviosa.cpu_recipe  # noqa: F401
    import rvos_plugin  # noqa: F401
    from rvos_plugin.registry import DATASETS, MODELS
    from rvos_plugin.structures.rvos_sample import stack_frame_masks
    init_default_scope('mmdet')
    cfg = Config.fromfile(args.config)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()
    model._collate = pseudo_collate
    val = DATASETS.build(cfg.val_dataloader.dataset)
    with torch.no_grad():
        if args.check == 'embeddings':
            check_embeddings(model, val, args.num)
        elif args.check == 'swap':
            check_swap(model, val, stack_frame_masks)
        else:
            check_context(model, val, args.num, stack_frame_masks)


if __name__ == '__main__':
    main()
