"""Evaluate an official-format ``results.json`` with the InterRVOS protocol.

The authors' evaluation (cvlab-kaist/InterRVOS ``tools/eval/``), exactly
(``rvos_plugin/evaluation/functional/interrvos_official.py``,
``docs/decisions/evaluation.md``)::

    python tools/analysis_tools/eval_interrvos.py RESULTS.json [MORE.json] \\
        --data-dir data/InterRVOS/val [--out eval.json] [--nproc N] \\
        [--missing skip|zero|error]

``--data-dir`` holds ``meta_expressions.json`` + ``mask_dict.json`` (every
expression: Overall, Referring) and ``new_meta_expressions.json`` +
``new_mask_dict.json`` (the actor-target subset: Actor-Target, Target);
each file can also be given alone (``--meta`` ...). Without the ``new_*``
files only Overall is computed: that is the authors' ``eval_mevis.py``
(MeViS valid_u, any MeViS-format split); ``--write-subset DIR`` derives the
``new_*`` files of an InterRVOS-format split that lacks them (synthetic
set, own data). Several ``results_pid_<k>.json`` are merged as their
``merge_json.py`` does.

Prints the groups and writes ``{group: {J, F, J&F, num_expressions},
"final": {group: official percent block}, "per_expression": ...}``.
Imports neither torch nor mmengine.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from light_eval_imports import import_functional  # noqa: E402

import_functional()
from rvos_plugin.evaluation.functional import \
    interrvos_official as protocol  # noqa: E402
from rvos_plugin.evaluation.functional.parallel import (  # noqa: E402
    available_cores, ordered_imap)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Official InterRVOS / MeViS evaluation of results.json.')
    parser.add_argument('results', nargs='+',
                        help='results.json (or several results_pid_*.json)')
    parser.add_argument('--data-dir', help='split folder with the meta and '
                        'mask files (InterRVOS val, MeViS valid_u)')
    parser.add_argument('--meta', help='meta_expressions.json '
                        '(default: DATA_DIR/meta_expressions.json)')
    parser.add_argument('--mask-dict', help='mask_dict.json')
    parser.add_argument('--new-meta', help='new_meta_expressions.json '
                        '(actor-target subset)')
    parser.add_argument('--new-mask-dict', help='new_mask_dict.json')
    parser.add_argument(
        '--write-subset', metavar='DIR',
        help='for splits without new_* files (synthetic or your own data): '
        'write DIR/new_meta_expressions.json and DIR/new_mask_dict.json (the '
        'unidirectional expressions with a target) and evaluate with them')
    parser.add_argument('--out', help='write the results to this JSON file')
    parser.add_argument('--nproc', type=int, default=available_cores(),
                        help='worker processes (default: available cores)')
    parser.add_argument(
        '--missing', choices=protocol.MISSING_POLICIES, default='skip',
        help='expressions without prediction: skip (the official scripts, '
        'default; warned), zero (score 0), error')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    args = parser.parse_args(argv)
    if args.nproc < 1:
        parser.error('--nproc must be >= 1')
    for key, name in (('meta', 'meta_expressions.json'),
                      ('mask_dict', 'mask_dict.json'),
                      ('new_meta', 'new_meta_expressions.json'),
                      ('new_mask_dict', 'new_mask_dict.json')):
        if getattr(args, key) is None and args.data_dir:
            path = osp.join(args.data_dir, name)
            if key in ('meta', 'mask_dict') or osp.isfile(path):
                setattr(args, key, path)
    if not args.meta or not args.mask_dict:
        parser.error('give --data-dir, or --meta and --mask-dict.')
    if args.write_subset:
        if args.new_meta:
            parser.error('--write-subset: the split already has '
                         f'{args.new_meta}; drop the option to use it.')
        args.new_meta = osp.join(args.write_subset,
                                 'new_meta_expressions.json')
        args.new_mask_dict = osp.join(args.write_subset, 'new_mask_dict.json')
    if bool(args.new_meta) != bool(args.new_mask_dict):
        parser.error('new_meta_expressions.json and new_mask_dict.json go '
                     'together (found only one of them).')
    return args


def warn(message: str) -> None:
    print(f'WARNING: {message}', file=sys.stderr, flush=True)


def evaluate(results: List[str], meta: str, mask_dict: str,
             new_meta: Optional[str] = None,
             new_mask_dict: Optional[str] = None, nproc: int = 1,
             missing: str = 'skip', progress: bool = False) -> dict:
    """Run the official protocol; see the module docstring.

    Returns:
        dict: :func:`interrvos_official.summarize` plus ``final`` (the
        authors' percent blocks) and ``timing`` (seconds).
    """
    start = time.perf_counter()
    splits = {'main': (*protocol.load_split(meta, mask_dict), meta)}
    if new_meta:
        splits['new'] = (*protocol.load_split(new_meta, new_mask_dict),
                         new_meta)
    else:
        warn('no new_meta_expressions.json / new_mask_dict.json: only '
             'Overall is computed (Referring, Actor-Target and Target need '
             'the actor-target subset files).')
    predictions = protocol.load_results(results)
    loaded = time.perf_counter()
    tasks = protocol.build_tasks(splits)
    records = []
    for video_records in ordered_imap(
            protocol.evaluate_video, tasks, nproc,
            initializer=protocol.set_shared,
            initargs=(splits, predictions, missing), desc='InterRVOS eval',
            progress=progress):
        records.extend(video_records)
    summary = protocol.summarize(records, has_new='new' in splits)
    for group, names in summary['missing'].items():
        if names:
            warn(f'{group}: {len(names)} expression(s) have no prediction in '
                 f'results.json and were '
                 f'{"skipped (official)" if missing == "skip" else "scored 0"}'
                 f': {", ".join(names[:10])}{" ..." if len(names) > 10 else ""}')
    if summary['extra_frames']:
        warn(f'{summary["extra_frames"]} predicted frame(s) beyond the '
             'split\'s frame lists were not scored.')
    known = {video for split in splits.values() for video in split[0]}
    extra = sorted(set(predictions) - known)
    if extra:
        warn(f'{len(extra)} video(s) of results.json are in no split and '
             f'were not scored: {extra[:10]}')
    summary['final'] = {group: protocol.official_final(summary[group])
                        for group in protocol.GROUPS if group in summary}
    summary['timing'] = {'load_s': loaded - start,
                         'score_s': time.perf_counter() - loaded}
    return summary


def write_subset(meta: str, mask_dict: str, new_meta: str,
                 new_mask_dict: str) -> int:
    """Write the actor-target subset files; returns #expressions."""
    subset, masks = protocol.actor_target_subset(
        *protocol.load_split(meta, mask_dict))
    os.makedirs(osp.dirname(osp.abspath(new_meta)), exist_ok=True)
    with open(new_meta, 'w') as f:
        json.dump(subset, f)
    with open(new_mask_dict, 'w') as f:
        json.dump(masks, f)
    count = sum(len(v['expressions']) for v in subset['videos'].values())
    print(f'actor-target subset: {count} expressions written to {new_meta} '
          f'and {new_mask_dict}')
    return count


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    if args.write_subset:
        write_subset(args.meta, args.mask_dict, args.new_meta,
                     args.new_mask_dict)
    result = evaluate(args.results, args.meta, args.mask_dict, args.new_meta,
                      args.new_mask_dict, args.nproc, args.missing,
                      progress=not args.no_progress)
    for group in protocol.GROUPS:
        if group in result:
            g = result[group]
            print(f'{group:<13} J&F {g["J&F"]:.4f}  J {g["J"]:.4f}  '
                  f'F {g["F"]:.4f}  ({g["num_expressions"]} expressions)')
    print(json.dumps({group: result[group]['J&F'] for group in protocol.GROUPS
                      if group in result}))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'results written to {args.out}')
    return result


if __name__ == '__main__':
    main()
