"""InterRVOS 4-stage annotation pipeline (InterRVOS Sec. 3.1, Figs. A7-A13).

Stage 1 object captions (VLM, object outlined) -> stage 2 single/multi-object
expressions (LLM) -> stage 3 interactions on index-labelled objects (VLM) ->
stage 4 class- and appearance-level interaction expressions (LLM). Output:
an InterRVOS/MeViS-format split (``meta_expressions.json`` with
``caption_type`` and ``subject/object``, ``mask_dict.json``, ``JPEGImages``).

Examples::

    # synthetic set, deterministic offline backend
    python tools/interrvos_annotation/run_pipeline.py data/synthetic/train \
        data/synthetic_interrvos/train --backend oracle

    # GPT-4o for stages 1/3 and a local Llama-3.1 for stages 2/4
    export OPENAI_API_KEY=...
    python tools/interrvos_annotation/run_pipeline.py data/vidor_mevis/train \
        data/interrvos_mine/train --backend openai --model gpt-4o \
        --base-url https://api.openai.com/v1 \
        --text-backend transformers --text-model-path pretrained/Llama-3.1-8B-Instruct

Resumable: per-stage JSONL caches under ``<out>/_annotation/``; a rerun skips
finished items (and retries failed ones). Failures:
``<out>/_annotation/failures.jsonl``.

Exit status (also ``status`` in ``_annotation/summary.json``, printed):
0 ``ok`` every item succeeded; 1 ``failures`` the split was written but some
items failed (at most ``--max-failures``); 2 ``aborted``: more than
``--max-failures`` items failed, the backend could not be reached
(connection refused: one retry, then stop) or no expression was produced --
no split is written then.
"""
import argparse
import json
import os.path as osp
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from stages import (export, stage1_object_captions,  # noqa: E402
                    stage2_referring_expressions, stage3_interactions,
                    stage4_interaction_expressions)
from stages.common import STAGE_KEYS, SourceSet, run_stage  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('src_split', help='source <root>/<split> (MeViS format '
                   'with mask_dict.json)')
    p.add_argument('out_split', help='output <root>/<split>')
    p.add_argument('--backend', choices=('oracle', 'openai', 'transformers'),
                   default='oracle', help='backend of the vision stages 1, 3')
    p.add_argument('--text-backend', default=None,
                   choices=('oracle', 'openai', 'transformers'),
                   help='backend of the text stages 2, 4 (default: --backend)')
    p.add_argument('--objects', default=None, help='synthetic objects.json '
                   '(default <src_split>/objects.json when present)')
    p.add_argument('--categories', default=None,
                   help='JSON {video: {obj_id: class}} of object classes')
    p.add_argument('--base-url', default=None)
    p.add_argument('--model', default=None)
    p.add_argument('--text-base-url', default=None)
    p.add_argument('--text-model', default=None)
    p.add_argument('--api-key-env', default='OPENAI_API_KEY',
                   help="variable holding the API key ('' for a local "
                   'server without authentication)')
    p.add_argument('--model-path', default=None)
    p.add_argument('--text-model-path', default=None)
    p.add_argument('--num-frames', type=int, default=8,
                   help='frames shown to the VLM per request')
    p.add_argument('--max-side', type=int, default=768)
    p.add_argument('--max-attempts', type=int, default=3,
                   help='calls per item until the answer validates')
    p.add_argument('--limit', type=int, default=None,
                   help='only the first N videos')
    p.add_argument('--link', choices=('symlink', 'copy'), default='symlink',
                   help='how mask_dict.json and JPEGImages reach the output')
    p.add_argument('--max-failures', type=int, default=10,
                   help='stop the run (exit 2, no split written) once more '
                   'items than this have failed (default 10)')
    p.add_argument('--workers', type=int, default=None,
                   help='concurrent requests for HTTP backends (default 4 '
                   'for openai, 1 otherwise)')
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


EXIT_CODES = {'ok': 0, 'failures': 1, 'aborted': 2}


def _backend(kind, args, objects, text=False):
    from rvos_plugin.apis.llm import build_backend
    return build_backend(
        kind, objects_path=objects,
        base_url=(args.text_base_url if text else None) or args.base_url,
        model=(args.text_model if text else None) or args.model,
        api_key_env=args.api_key_env,
        model_path=(args.text_model_path if text else None)
        or args.model_path)


def main(argv=None, backend=None, text_backend=None):
    """Run all stages; backends may be injected (tests)."""
    from rvos_plugin.apis.llm import (BackendUnavailableError,
                                      FailureBudget, FailureBudgetExceeded,
                                      FailureLog, JsonlCache,
                                      atomic_write_json)
    args = parse_args(argv)
    objects = args.objects
    if objects is None and osp.isfile(osp.join(args.src_split,
                                               'objects.json')):
        objects = osp.join(args.src_split, 'objects.json')
    if backend is None:
        backend = _backend(args.backend, args, objects)
    if text_backend is None:
        text_backend = (backend if args.text_backend in (None, args.backend)
                        else _backend(args.text_backend, args, objects, True))
    source = SourceSet(args.src_split, objects, args.categories)
    if args.limit is not None:
        keep = sorted(source.videos)[:args.limit]
        source.videos = {v: source.videos[v] for v in keep}
    work_dir = osp.join(args.out_split, '_annotation')
    caches = {k: JsonlCache(osp.join(work_dir, f'{k}.jsonl'))
              for k in STAGE_KEYS}
    failures = FailureLog(osp.join(work_dir, 'failures.jsonl'))
    budget = FailureBudget(args.max_failures, failures.path)
    show = not args.no_progress
    opts = dict(num_frames=args.num_frames, max_side=args.max_side,
                max_attempts=args.max_attempts)
    stats, times = {}, {}

    def workers_for(be):
        if args.workers is not None:
            return max(1, args.workers)
        return 4 if getattr(be, 'supports_concurrency', False) else 1

    def timed(name, be, *run_args):
        t0 = time.time()
        stats[name] = run_stage(name, *run_args, caches[name], failures,
                                desc=name, show_progress=show, budget=budget,
                                workers=workers_for(be))
        times[name] = round(time.time() - t0, 3)

    def finish(status, **extra):
        summary = dict(status=status, videos=len(source.videos),
                       stages=stats, stage_seconds=times,
                       failures=failures.count,
                       failures_file=failures.path,
                       backend_calls=getattr(backend, 'num_calls', None),
                       **extra)
        atomic_write_json(osp.join(work_dir, 'summary.json'), summary,
                          indent=1)
        print(json.dumps(summary))
        if status != 'ok':
            print(f'run_pipeline: {status.upper()}: {failures.count} failed '
                  f'item(s), see {failures.path}'
                  + (f'; {extra["reason"]}' if 'reason' in extra else ''),
                  file=sys.stderr, flush=True)
        return summary

    s1 = caches['gpt_single_object']
    try:
        timed('gpt_single_object', backend,
              stage1_object_captions.items(source),
              stage1_object_captions.make_work(source, backend, **opts))
        timed('llama_single_object', text_backend,
              stage2_referring_expressions.single_items(source, s1),
              stage2_referring_expressions.make_single_work(
                  text_backend, args.max_attempts))
        timed('llama_multi_object', text_backend,
              stage2_referring_expressions.multi_items(source, s1),
              stage2_referring_expressions.make_multi_work(
                  text_backend, args.max_attempts))
        timed('gpt_interaction', backend, stage3_interactions.items(source),
              stage3_interactions.make_work(source, backend, **opts))
        timed('llama_interaction', text_backend,
              stage4_interaction_expressions.items(
                  source, caches['llama_single_object'],
                  caches['gpt_interaction']),
              stage4_interaction_expressions.make_work(text_backend,
                                                       args.max_attempts))

        def as_dict(key):
            return dict(caches[key].items())

        meta = export.build_meta(source, as_dict('llama_single_object'),
                                 as_dict('llama_multi_object'),
                                 as_dict('llama_interaction'))
        export.write_meta(
            osp.join(args.out_split, 'meta_expressions.json'), meta)
    except (FailureBudgetExceeded, BackendUnavailableError,
            export.EmptySplitError) as err:
        return finish('aborted', reason=str(err))
    export.link_or_copy(source.mask_path,
                        osp.join(args.out_split, 'mask_dict.json'), args.link)
    export.link_or_copy(osp.join(args.src_split, 'JPEGImages'),
                        osp.join(args.out_split, 'JPEGImages'), args.link)
    per_type = {}
    for video in meta['videos'].values():
        for e in video['expressions'].values():
            per_type[e['caption_type']] = per_type.get(
                e['caption_type'], 0) + 1
    return finish('ok' if failures.count == 0 else 'failures',
                  expressions=per_type)


if __name__ == '__main__':
    sys.exit(EXIT_CODES[main()['status']])
