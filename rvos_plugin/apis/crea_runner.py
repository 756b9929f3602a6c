"""Run CREA over a split: concurrent, resumable, with a failure budget.

- One generation per *unit* (``sample['unit']``; A2D's annotated frames of a
  query share one), cached in a :class:`~rvos_plugin.apis.llm.JsonlCache`
  keyed by unit, so a rerun skips every finished unit.
- ``workers > 1`` runs units in a thread pool (HTTP backends spend their
  time waiting for the server); results are written by the calling thread
  only, so the cache and the failure log need no lock.
- More than ``max_failures`` failed units stop the run: no new unit is
  started, the ones in flight finish (and are cached).
- :func:`write_split` maps units back to sample keys and refuses to write a
  split with zero expressions.
"""
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Callable, Dict, List, Optional

from .expression_augmentation import is_fallback_record

RECOVERABLE = (Exception, )  # one bad unit never kills the run by itself


def unique_units(samples: List[dict]) -> List[dict]:
    """The first sample of every unit, in order."""
    seen: Dict[str, dict] = {}
    for s in samples:
        seen.setdefault(s['unit'], s)
    return list(seen.values())


def run_generation(samples: List[dict], augment: Callable[[dict], dict],
                   cache, failures, progress=None, workers: int = 1,
                   max_failures: Optional[int] = None) -> dict:
    """``augment(sample) -> record`` for every unit not in ``cache``.

    Args:
        samples: sample dicts with ``key`` and ``unit``.
        augment: builds one record (called from worker threads when
            ``workers > 1``).
        cache: ``JsonlCache``-like (``in``, ``put``).
        failures: ``FailureLog``-like (``log(stage, key, error)``).
        progress: optional tqdm-like (``update(n)``).
        workers: concurrent units.
        max_failures: stop once more units than this have failed
            (None: never).

    Returns:
        dict with ``units``, ``generated``, ``skipped`` (cached), ``failed``,
        ``aborted`` (budget exceeded) and ``first_error``.
    """
    units = unique_units(samples)
    todo = [u for u in units if u['unit'] not in cache]
    stats = dict(units=len(units), generated=0,
                 skipped=len(units) - len(todo), failed=0, aborted=False,
                 first_error=None)
    if progress is not None and stats['skipped']:
        progress.update(stats['skipped'])

    def record(unit, future_or_value, error=None):
        if error is None:
            cache.put(unit['unit'], future_or_value)
            stats['generated'] += 1
        else:
            failures.log('wsrvos_crea', unit['unit'], error)
            stats['failed'] += 1
            if stats['first_error'] is None:
                stats['first_error'] = f'{type(error).__name__}: {error}'
            if max_failures is not None and stats['failed'] > max_failures:
                stats['aborted'] = True
        if progress is not None:
            progress.update(1)

    if workers <= 1:
        for unit in todo:
            if stats['aborted']:
                break
            try:
                value = augment(unit)
            except RECOVERABLE as err:
                record(unit, None, err)
            else:
                record(unit, value)
        return stats

    pending = iter(todo)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        in_flight = {}

        def submit_next():
            unit = next(pending, None)
            if unit is not None:
                in_flight[pool.submit(augment, unit)] = unit
            return unit is not None

        for _ in range(2 * workers):  # a bounded queue: an abort is quick
            if not submit_next():
                break
        while in_flight:
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for fut in done:
                unit = in_flight.pop(fut)
                err = fut.exception()
                record(unit, None if err else fut.result(), err)
                if not stats['aborted']:
                    submit_next()
    return stats


def build_split(samples: List[dict], cache) -> Dict[str, dict]:
    """``{sample key: record}`` for every sample whose unit is cached."""
    return {s['key']: cache[s['unit']] for s in samples if s['unit'] in cache}


def count_fallbacks(samples: List[dict], result: Dict[str, dict]) -> int:
    """Samples whose record is the original expression duplicated."""
    return sum(1 for s in samples if s['key'] in result and
               is_fallback_record(result[s['key']], s['expression']))


def write_split(path: str, result: Dict[str, dict]) -> None:
    """Write the training JSON atomically; refuse an empty split.

    Raises:
        ValueError: ``result`` has zero expressions.
    """
    from .llm import atomic_write_json
    if not result:
        raise ValueError(
            f'refusing to write {path!r}: zero expressions were generated '
            '(every unit failed or the split is empty); see the failure log '
            'and the summary above.')
    atomic_write_json(path, result)
