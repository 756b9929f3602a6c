"""A process pool over videos for the evaluation CLIs (no torch, no mmengine).

One pool, started once, streams the per-video results back **in task
order** (``Pool.imap``), so the output is identical for every number of
processes; a tqdm bar on stderr counts finished tasks.
"""
import multiprocessing
import os
import sys
from typing import Callable, Iterator, Optional, Sequence


def available_cores() -> int:
    """Cores this process may run on (``sched_getaffinity``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS / Windows
        return max(1, os.cpu_count() or 1)


def ordered_imap(function: Callable,
                 tasks: Sequence,
                 nproc: int,
                 initializer: Optional[Callable] = None,
                 initargs: tuple = (),
                 desc: str = 'evaluating',
                 unit: str = 'video',
                 progress: bool = True) -> Iterator:
    """Yield ``function(task)`` for every task, in task order.

    With ``nproc == 1`` (or a single task) everything runs in this process
    (no pool start-up). Otherwise one ``fork`` pool (``spawn`` where fork
    does not exist) of ``min(nproc, len(tasks))`` workers is started once;
    ``initializer(*initargs)`` sets the shared read-only data in each worker
    (with fork the data is inherited, not pickled). Results stream back
    one task at a time (``chunksize=1``: videos differ a lot in length).

    Args:
        function (Callable): Top-level (picklable) function of one task.
        tasks (Sequence): The tasks.
        nproc (int): Worker processes (>= 1).
        initializer (Callable, optional): Sets per-process shared data; it
            is also called in this process.
        initargs (tuple): Its arguments.
        desc (str): Progress-bar label.
        unit (str): Progress-bar unit.
        progress (bool): Show the tqdm bar (stderr).

    Yields:
        The results, in the order of ``tasks``.
    """
    from tqdm import tqdm
    if nproc < 1:
        raise ValueError(f'nproc must be >= 1, got {nproc}.')
    if initializer is not None:
        initializer(*initargs)
    bar = tqdm(total=len(tasks), desc=desc, unit=unit, file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    try:
        if nproc == 1 or len(tasks) <= 1:
            for task in tasks:
                yield function(task)
                bar.update(1)
            return
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context(
            'fork' if 'fork' in methods else 'spawn')
        with context.Pool(min(nproc, len(tasks)), initializer=initializer,
                          initargs=initargs) as pool:
            for result in pool.imap(function, tasks, chunksize=1):
                yield result
                bar.update(1)
    finally:
        bar.close()
