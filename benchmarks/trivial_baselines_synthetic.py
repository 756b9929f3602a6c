"""J&F of text-agnostic trivial predictions on a MeViS-format split.

Reference points for the supervised baseline: (a) empty masks, (b) the whole
frame, (c) the union of every annotated object of the video (a perfect
"segment all objects" model that ignores the expression), (d) one annotated
object of the video drawn uniformly at random (seed 0): chance level of
picking the referred object. J&F averaged over frames, then expressions
(as RVOSJFMetric).

Usage: python benchmarks/trivial_baselines_synthetic.py [data/synthetic_rvos/valid]
"""
import json
import os.path as osp
import random
import sys

import numpy as np
from pycocotools import mask as mask_utils

from rvos_plugin.evaluation.functional.davis import jf_per_frame


def decode(rles, num_frames, shape):
    out = np.zeros((num_frames, ) + shape, dtype=bool)
    for t, rle in enumerate(rles):
        if rle is not None:
            out[t] = mask_utils.decode(rle).astype(bool)
    return out


def main(split_dir):
    meta = json.load(open(osp.join(split_dir, 'meta_expressions.json')))
    masks = json.load(open(osp.join(split_dir, 'mask_dict.json')))
    rng = random.Random(0)
    names = ('empty', 'full', 'all_objects', 'random_object')
    scores = {k: [] for k in names}
    kinds = []
    for video in meta['videos'].values():
        exps = video['expressions']
        num_frames = len(video['frames'])
        anno_ids = sorted({a for e in exps.values() for a in e['anno_id']}
                          | {a for e in exps.values() for a in
                             e.get('subject/object', {}).get('anno_id', {})
                             .get('object', [])})
        first = next(r for r in masks[str(anno_ids[0])] if r is not None)
        shape = tuple(first['size'])
        objs = {a: decode(masks[str(a)], num_frames, shape) for a in anno_ids}
        union_all = np.any(np.stack(list(objs.values())), 0)
        for exp in exps.values():
            gt = np.any(np.stack([objs[a] for a in exp['anno_id']]), 0)
            preds = dict(empty=np.zeros_like(gt), full=np.ones_like(gt),
                         all_objects=union_all,
                         random_object=objs[rng.choice(anno_ids)])
            kinds.append(exp.get('expression_kind') or 'unknown')
            for name, pred in preds.items():
                j, f = jf_per_frame(pred, gt)
                scores[name].append((np.mean(j) + np.mean(f)) / 2)
    print(f'{split_dir}: {len(scores["empty"])} expressions')
    kind_set = sorted(set(kinds))
    print('| prediction | J&F | ' + ' | '.join(kind_set) + ' |')
    print('|---' * (len(kind_set) + 2) + '|')
    for name, vals in scores.items():
        vals = np.asarray(vals)
        per_kind = [np.mean(vals[[k == kind for k in kinds]])
                    for kind in kind_set]
        print(f'| {name} | {vals.mean():.4f} | ' +
              ' | '.join(f'{v:.3f}' for v in per_kind) + ' |')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'data/synthetic_rvos/valid')
