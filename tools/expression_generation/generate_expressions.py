"""WSRVOS contrastive expression augmentation (CREA, WSRVOS Sec. 3.2).

Writes the JSON the WSRVOS training pipeline reads (``expression_file`` of
the configs)::

    {"<prefix>:<video_id>:<exp_id>": {"positive_texts": [...],
        "positive_confidences": [...], "negative_texts": [...]}}

Examples::

    # Ref-YouTube-VOS (official layout), Qwen3-VL behind an OpenAI-compatible
    # server, 16 requests in flight, CLIP as the Eq. (1) scorer
    python tools/expression_generation/generate_expressions.py \
        --dataset ref-ytvos --data-root data/ref-youtube-vos \
        --backend openai --base-url http://127.0.0.1:8000/v1 \
        --model Qwen/Qwen3-VL-8B-Instruct --api-key-env '' --workers 16 \
        --scorer clip --scorer-model-path checkpoints/clip-vit-large-patch14 \
        --out data/ref-youtube-vos/wsrvos_crea_train.json

    # A2D-Sentences (csv + mp4 + txt + h5): keys a2d:<vid>:<frame>_<inst>
    python tools/expression_generation/generate_expressions.py \
        --dataset a2d --data-root data/a2d_sentences ... \
        --out data/a2d_sentences/wsrvos_crea_train.json

    # synthetic set (MeViS format), offline oracle backend + oracle scorer
    python tools/expression_generation/generate_expressions.py \
        data/synthetic_rvos/train --backend oracle --key-prefix synthetic \
        --out work_dirs/wsrvos_crea/synthetic_train.json

Resumable: finished units are in ``<out>.cache.jsonl`` and skipped on a
rerun; failures go to ``<out>.failures.jsonl``. A sample whose descriptions
all fail Eq. (1) gets the original expression duplicated as positives
(counted as ``fallback_positives``). The run stops after ``--max-failures``
failed units; any failure exits non-zero and, unless ``--allow-partial``,
leaves ``--out`` unwritten (rerun the command to retry the failed units).
A split with zero expressions is never written.
"""
import argparse
import json
import os.path as osp
import socket
import sys
import time
import urllib.parse
import urllib.request

HERE = osp.dirname(osp.abspath(__file__))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('split_dir', nargs='?', default=None,
                   help='MeViS-format split folder (meta_expressions.json + '
                   'JPEGImages/); same as --dataset mevis --data-root DIR')
    p.add_argument('--dataset', choices=('ref-ytvos', 'a2d', 'mevis'),
                   default=None, help='layout of --data-root')
    p.add_argument('--data-root', default=None,
                   help='dataset root (ref-ytvos, a2d) or split folder '
                   '(mevis)')
    p.add_argument('--split', default='train', help='ref-ytvos/a2d split')
    p.add_argument('--out', required=True, help='output JSON path')
    p.add_argument('--key-prefix', default=None,
                   help='key prefix (default: ytvos, a2d, mevis; must match '
                   'LoadWSRVOSExpressions.prefix of the config)')
    p.add_argument('--meta', default='meta_expressions.json',
                   help='meta file name (mevis)')
    p.add_argument('--backend', choices=('oracle', 'openai', 'transformers'),
                   default='oracle')
    p.add_argument('--objects', default=None,
                   help='objects.json for the oracle backend/scorer '
                   '(default <data-root>/objects.json)')
    p.add_argument('--base-url', default=None)
    p.add_argument('--model', default=None)
    p.add_argument('--api-key-env', default='OPENAI_API_KEY',
                   help="environment variable of the key; '' for a local "
                   'server without authentication')
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
    p.add_argument('--workers', type=int, default=None,
                   help='units in flight (default 8 for --backend openai, '
                   '1 otherwise; local backends always use 1)')
    p.add_argument('--max-failures', type=int, default=10,
                   help='stop once more than this many units failed '
                   '(default 10)')
    p.add_argument('--allow-partial', action='store_true',
                   help='write --out even when units failed (training then '
                   'stops at the first missing key)')
    p.add_argument('--positive-prompt',
                   default=osp.join(HERE, 'prompts', 'positive.txt'))
    p.add_argument('--negative-prompt',
                   default=osp.join(HERE, 'prompts', 'negative.txt'))
    p.add_argument('--limit', type=int, default=None,
                   help='only the first N samples')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--no-progress', action='store_true')
    args = p.parse_args(argv)
    if args.split_dir is not None:
        if args.data_root is not None:
            p.error('give the split folder either positionally or as '
                    '--data-root, not both')
        args.data_root, args.dataset = args.split_dir, args.dataset or 'mevis'
    if args.data_root is None:
        p.error('--data-root is required (or a MeViS-format split folder '
                'as the positional argument)')
    args.dataset = args.dataset or 'mevis'
    return args


def check_server_reachable(base_url: str, timeout: float = 5.0,
                           retry_wait: float = 1.0) -> None:
    """Fail fast when nothing listens at ``base_url`` (one retry).

    Skipped when the requests go through an HTTP(S) proxy.

    Raises:
        ConnectionError: naming the URL and what to check.
    """
    url = urllib.parse.urlparse(base_url)
    port = url.port or (443 if url.scheme == 'https' else 80)
    if urllib.request.getproxies().get(url.scheme) and \
            not urllib.request.proxy_bypass(url.hostname or ''):
        return  # requests go through a proxy: nothing to check directly
    last = None
    for attempt in range(2):
        try:
            socket.create_connection((url.hostname, port), timeout).close()
            return
        except OSError as err:  # refused, unreachable, DNS, timeout
            last = err
            if attempt == 0:
                time.sleep(retry_wait)
    raise ConnectionError(
        f'cannot connect to {base_url} ({url.hostname}:{port}): {last}. '
        'Start the server (e.g. `vllm serve Qwen/Qwen3-VL-8B-Instruct`) or '
        'fix --base-url; nothing was generated.')


def build_scorer(args, objects):
    from rvos_plugin.apis import expression_augmentation as crea
    name = args.scorer or ('oracle' if args.backend == 'oracle' else 'clip')
    if name == 'oracle':
        return crea.OracleSampleScorer(objects)
    return crea.CLIPVideoTextScorer(args.scorer_model_path,
                                    num_frames=args.num_frames)


def main(argv=None, backend=None, scorer=None):
    """Run the tool; ``backend`` and ``scorer`` may be injected (tests).

    Returns:
        the summary dict; ``exit_code`` is 0 only when every unit succeeded
        and the split was written.
    """
    args = parse_args(argv)
    from tqdm import tqdm

    from rvos_plugin.apis import crea_runner
    from rvos_plugin.apis import expression_augmentation as crea
    from rvos_plugin.apis.crea_sources import load_sample_frames, load_samples
    from rvos_plugin.apis.llm import FailureLog, JsonlCache, build_backend

    start = time.time()
    samples = load_samples(args.dataset, args.data_root, args.key_prefix,
                           args.split, args.meta)
    if args.limit is not None:
        samples = samples[:args.limit]
    objects = args.objects or osp.join(args.data_root, 'objects.json')
    if backend is None:
        if args.backend == 'openai':
            check_server_reachable(args.base_url or '')
        backend = build_backend(args.backend, objects_path=objects,
                                base_url=args.base_url, model=args.model,
                                api_key_env=args.api_key_env or None,
                                model_path=args.model_path, seed=args.seed)
    workers = args.workers or (8 if args.backend == 'openai' else 1)
    if args.backend != 'openai':
        workers = 1  # local models and the oracle are not thread-safe
    scorer = scorer or build_scorer(args, objects)
    pos_prompt = crea.load_prompt(args.positive_prompt)
    neg_prompt = crea.load_prompt(args.negative_prompt)
    cache = JsonlCache(args.out + '.cache.jsonl')
    failures = FailureLog(args.out + '.failures.jsonl')
    sees_frames = args.backend != 'oracle'

    def augment(sample):
        images = (load_sample_frames(sample, args.num_frames)
                  if sees_frames else None)
        return crea.augment_sample(
            backend, scorer, sample, pos_prompt, neg_prompt,
            num_positive=args.num_positive, num_negative=args.num_negative,
            threshold=args.threshold, max_rounds=args.max_rounds,
            images=images)

    with tqdm(total=len(crea_runner.unique_units(samples)), desc='CREA',
              unit='expr', disable=args.no_progress) as bar:
        run = crea_runner.run_generation(samples, augment, cache, failures,
                                         bar, workers=workers,
                                         max_failures=args.max_failures)
    result = crea_runner.build_split(samples, cache)
    stats = dict(dataset=args.dataset, samples=len(samples),
                 units=run['units'], generated=run['generated'],
                 skipped=run['skipped'], failed=run['failed'],
                 aborted=run['aborted'],
                 fallback_positives=crea_runner.count_fallbacks(samples,
                                                                result),
                 written=0, positives=0, negatives=0, out=None,
                 failure_log=failures.path if run['failed'] else None,
                 first_error=run['first_error'], workers=workers)
    ok = run['failed'] == 0
    if ok or args.allow_partial:
        try:
            crea_runner.write_split(args.out, result)
        except ValueError as err:
            print(f'error: {err}', file=sys.stderr)
            ok = False
        else:
            stats.update(written=len(result), out=args.out,
                         positives=sum(len(v['positive_texts'])
                                       for v in result.values()),
                         negatives=sum(len(v['negative_texts'])
                                       for v in result.values()))
    stats['seconds'] = round(time.time() - start, 2)
    stats['exit_code'] = 0 if ok and stats['written'] else 1
    print(json.dumps(stats))
    print(summary_text(stats, args), file=sys.stderr)
    return stats


def summary_text(stats: dict, args) -> str:
    """Human-readable lines for the end of a run."""
    lines = [f"CREA {stats['dataset']}: {stats['samples']} samples in "
             f"{stats['units']} units; {stats['generated']} generated, "
             f"{stats['skipped']} cached, {stats['failed']} failed; "
             f"{stats['fallback_positives']} samples with no description "
             'passing Eq. (1) use the original expression as positives.']
    if stats['aborted']:
        lines.append(f"stopped: more than --max-failures {args.max_failures}"
                     f" units failed; first error: {stats['first_error']}")
    elif stats['failed']:
        lines.append(f"first error: {stats['first_error']}")
    if stats['failed']:
        lines.append(f"failures: {stats['failure_log']}; rerun the same "
                     'command to retry them (finished units are cached).')
    if stats['written']:
        lines.append(f"wrote {stats['written']} expressions to "
                     f"{stats['out']}")
    else:
        lines.append(f'{args.out} was NOT written' + (
            ' (use --allow-partial to write the finished units)'
            if stats['failed'] and not args.allow_partial else ''))
    return '\n'.join(lines)


def cli(argv=None) -> int:
    """Command-line entry: the exit code (errors printed, no traceback)."""
    try:
        return main(argv)['exit_code']
    except (ConnectionError, FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(cli())
