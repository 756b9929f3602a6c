"""Re-seed every random source at the start of each epoch.

mmengine seeds the random generators once, when the Runner starts. A run that
is resumed at epoch k therefore continues from the seed's initial state while
the uninterrupted run continues from the state reached after k epochs, so the
two see different frame samples, flips and dropout masks. Seeding every epoch
with ``seed + epoch`` (and ``seed + epoch`` offsets in dataloader workers,
which mmengine re-creates every epoch unless ``persistent_workers=True``) makes
a resumed run reproduce the uninterrupted one exactly.
"""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from rvos_plugin.registry import HOOKS


@HOOKS.register_module()
class RVOSEpochSeedHook(Hook):
    """Seed python, numpy and torch with ``base_seed + epoch + rank`` offset.

    Args:
        base_seed (int, optional): Defaults to the runner's seed.
    """

    priority = 'VERY_HIGH'

    def __init__(self, base_seed: int = None):
        self.base_seed = base_seed

    def before_train_epoch(self, runner) -> None:
        base = self.base_seed if self.base_seed is not None else runner.seed
        seed = (int(base) + 1000003 * runner.epoch + runner.rank) % (2**31)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        loader = runner.train_dataloader
        num_workers = getattr(loader, 'num_workers', 0)
        if num_workers > 0 and not getattr(loader, 'persistent_workers',
                                           False):
            from functools import partial

            from mmengine.dataset.utils import worker_init_fn
            loader.worker_init_fn = partial(
                worker_init_fn,
                num_workers=num_workers,
                rank=runner.rank,
                seed=seed)
        if getattr(loader, 'persistent_workers', False) and \
                getattr(loader, 'num_workers', 0) > 0:
            runner.logger.warning(
                'RVOSEpochSeedHook: persistent_workers=True keeps worker '
                'random state across epochs, so a resumed run will sample '
                'differently; set persistent_workers=False for exact resume.')
