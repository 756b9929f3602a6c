"""WSRVOS contrastive expression augmentation (CREA, WSRVOS Sec. 3.2).

Writes the JSON the WSRVOS training pipeline reads::

    {"<prefix>:<video_id>:<exp_id>": {"positive_texts": [...],
        "positive_confidences": [...], "negative_texts": [...]}}

Examples::

    # synthetic set, offline oracle backend + oracle scorer
    python tools/expression_generation/generate_expressions.py \
        data/synthetic/train --backend oracle --out work_dirs/crea/train.json

    # any MeViS-format set with Qwen3-VL behind an OpenAI-compatible server
    export OPENAI_API_KEY=...
    python tools/expression_generation/generate_expressions.py \
        data/mevis/train --backend openai --base-url http://127.0.0.1:8000/v1 \
        --model Qwen/Qwen3-VL-8B-Instruct --scorer clip \
        --scorer-model-path pretrained/clip-vit-large-patch14 \
        --out work_dirs/crea/mevis_train.json

Resumable: finished samples are in ``<out>.cache.jsonl`` and skipped on a
rerun; failures go to ``<out>.failures.jsonl`` without stopping the run.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('split_dir', help='<root>/<split> holding '
                   'meta_expressions.json and JPEGImages/')
    p.add_argument('--out', required=True, help='output JSON path')
    p.add_argument('--key-prefix', default='mevis',
                   help='key prefix (released code: ytvos, a2d, jhmdb)')
    p.add_argument('--meta', default='meta_expressions.json')
    p.add_argument('--backend', choices=('oracle', 'openai', 'transformers'),
                   default='oracle')
    p.add_argument('--objects', default=None,
                   help='objects.json for the oracle backend/scorer '
                   '(default <split_dir>/objects.json)')
    p.add_argument('--base-url', default=None)
    p.add_argument('--model', default=None)
    p.add_argument('--api-key-env', default='OPENAI_API_KEY')
    p.add_argument('--model-path', default=None,
                   help='local transformers MLLM folder')
    p.add_argument('--scorer', choices=('oracle', 'clip'), default=None,
                   help='Eq. (1) scorer (default: oracle with the oracle '
                   'backend, clip otherwise)')
    p.add_argument('--scorer-model-path', default=None)
    p.add_argument('--num-positive', type=int, default=6,
                   help='P (Sec. 4.1: 6)')
    p.add_argument('--num-negative', type=int, default=48,
                   help='N (Sec. 4.1: 48)')
    p.add_argument('--threshold', type=float, default=0.8,
                   help='c_k threshold of Eq. (1) (Sec. 3.2: 0.8)')
    p.add_argument('--max-rounds', type=int, default=2,
                   help='requests per list while too few sentences came back')
    p.add_argument('--num-frames', type=int, default=8,
                   help='frames shown to a VLM backend')
    p.add_argument('--positive-prompt',
                   default=osp.join(HERE, 'prompts', 'positive.txt'))
    p.add_argument('--negative-prompt',
                   default=osp.join(HERE, 'prompts', 'negative.txt'))
    p.add_argument('--limit', type=int, default=None,
                   help='only the first N samples')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def load_frames(split_dir, sample, num_frames, ext='.jpg', max_side=768):
    """Uniformly sampled RGB frames of the sample's video (for VLMs)."""
    import cv2
    import numpy as np
    frames = sample['frames']
    idx = np.linspace(0, len(frames) - 1, min(num_frames, len(frames)))
    out = []
    for i in idx.round().astype(int):
        path = osp.join(split_dir, 'JPEGImages', sample['video_id'],
                        frames[i] + ext)
        img = cv2.imread(path)
        if img is None:
            raise FileNotFoundError(f'frame {path!r} is missing or corrupt; '
                                    'restore it or drop the video')
        scale = max_side / max(img.shape[:2])
        if scale < 1:
            img = cv2.resize(img, None, fx=scale, fy=scale,
                             interpolation=cv2.INTER_AREA)
        out.append(img[:, :, ::-1].copy())
    return out


def main(argv=None, backend=None):
    """Run the tool; ``backend`` may be injected (tests)."""
    args = parse_args(argv)
    from tqdm import tqdm

    from rvos_plugin.apis import expression_augmentation as crea
    from rvos_plugin.apis.llm import (FailureLog, JsonlCache,
                                      atomic_write_json, build_backend)

    meta_path = osp.join(args.split_dir, args.meta)
    objects = args.objects or osp.join(args.split_dir, 'objects.json')
    if backend is None:
        backend = build_backend(args.backend, objects_path=objects,
                                base_url=args.base_url, model=args.model,
                                api_key_env=args.api_key_env,
                                model_path=args.model_path, seed=args.seed)
    scorer_name = args.scorer or ('oracle' if args.backend == 'oracle'
                                  else 'clip')
    if scorer_name == 'oracle':
        scorer = crea.OracleSampleScorer(objects)
    else:
        scorer = crea.CLIPVideoTextScorer(
            args.scorer_model_path, osp.join(args.split_dir, 'JPEGImages'))
    pos_prompt = crea.load_prompt(args.positive_prompt)
    neg_prompt = crea.load_prompt(args.negative_prompt)
    samples = crea.load_mevis_samples(meta_path, args.key_prefix)
    if args.limit is not None:
        samples = samples[:args.limit]
    cache = JsonlCache(args.out + '.cache.jsonl')
    failures = FailureLog(args.out + '.failures.jsonl')
    sees_frames = args.backend != 'oracle'

    def augment(sample):
        images = (load_frames(args.split_dir, sample, args.num_frames)
                  if sees_frames else None)
        return crea.augment_sample(
            backend, scorer, sample, pos_prompt, neg_prompt,
            num_positive=args.num_positive, num_negative=args.num_negative,
            threshold=args.threshold, max_rounds=args.max_rounds,
            images=images)

    start = time.time()
    with tqdm(total=len(samples), desc='CREA', unit='expr',
              disable=args.no_progress) as bar:
        done, skipped, failed = crea.run_generation(samples, augment, cache,
                                                    failures, bar)
    keys = {s['key'] for s in samples}
    result = {k: v for k, v in cache.items() if k in keys}
    atomic_write_json(args.out, result)
    stats = dict(samples=len(samples), generated=done, skipped=skipped,
                 failed=failed, written=len(result),
                 positives=sum(len(v['positive_texts'])
                               for v in result.values()),
                 negatives=sum(len(v['negative_texts'])
                               for v in result.values()),
                 seconds=round(time.time() - start, 2),
                 failure_log=failures.path if failed else None)
    print(json.dumps(stats))
    return stats


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
