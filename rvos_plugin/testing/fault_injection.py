"""A hook that kills or crashes its own process at a chosen iteration.

For the fault tests (kill -9 mid-epoch then ``--resume``; one crashing
worker of ``tools/dist_train.sh``): ``SIGKILL`` cannot be caught, so the
process dies exactly as under ``kill -9``, at a deterministic point.
"""
import os
import signal
from typing import Optional

from mmengine.hooks import Hook

from rvos_plugin.registry import HOOKS


@HOOKS.register_module()
class RVOSFaultInjectionHook(Hook):
    """Die after training iteration ``at_iter`` (0-based, global count).

    Args:
        at_iter (int): The iteration after which to die.
        rank (int, optional): Only this rank dies (``None``: every rank).
        mode (str): ``'sigkill'`` (as ``kill -9``) or ``'raise'`` (a Python
            exception, as a crashing worker).
    """

    priority = 'LOWEST'

    def __init__(self, at_iter: int, rank: Optional[int] = None,
                 mode: str = 'sigkill') -> None:
        if mode not in ('sigkill', 'raise'):
            raise ValueError(f"mode must be 'sigkill' or 'raise', got {mode}")
        self.at_iter = at_iter
        self.rank = rank
        self.mode = mode

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter != self.at_iter or (
                self.rank is not None and runner.rank != self.rank):
            return
        if self.mode == 'sigkill':
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError(f'RVOSFaultInjectionHook: injected crash on rank '
                           f'{runner.rank} after iteration {self.at_iter}')
