"""Re-seed every random source at the start of each epoch.

mmengine seeds the random generators once, when the Runner starts. A run that
is resumed at epoch k therefore continues from the seed's initial state while
the uninterrupted run continues from the state reached after k epochs, so the
two see different frame samples, flips and dropout masks. Seeding every epoch
with ``seed + epoch`` (and ``seed + epoch`` offsets in dataloader workers,
which mmengine re-creates every epoch unless ``persistent_workers=True``) makes
a resumed run reproduce the uninterrupted one exactly.

Iteration-based loops (``IterBasedTrainLoop``) have one "epoch": there the
hook re-seeds before every batch is fetched (``seed + iteration``), so a run
resumed at iteration k -- whose loop first fetches and drops k batches --
loads batch k and draws the model's random numbers exactly as the
uninterrupted run did (with ``num_workers=0``; worker processes keep their
own random state).

Private ``random.Random`` generators held by model modules (e.g. ReVIOsA's
question-template choice) are saved in the checkpoint
(``rvos_module_rng_states``) and restored on resume.

The hook also publishes the rank-free base seed and the global batch index
of the next batch (``rvos_plugin.utils.sample_rng``): transforms and models
draw sample-dependent choices (frames, flip, question template, WSRVOS
expressions) from per-sample generators, so the draws do not depend on how
the samples are split over the ranks (2 processes of batch 1 = 1 process of
batch 2).
"""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from rvos_plugin.registry import HOOKS
from rvos_plugin.utils.sample_rng import (clear_sampling_round,
                                          set_sampling_round)


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class _IterSeededIterator:
    """Re-seeds with ``seed + 7919 * k`` before fetching batch ``k`` and
    publishes ``k`` as the sampling round (rank-free ``base_seed``)."""

    def __init__(self, inner, seed: int, base_seed: int) -> None:
        self.inner = inner
        self.seed = seed
        self.base_seed = base_seed
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self):
        seed_everything((self.seed + 7919 * (self.count + 1)) % (2**31))
        set_sampling_round(self.base_seed, self.count)
        self.count += 1
        return next(self.inner)


def _module_rngs(model) -> dict:
    """``{'<module>.<attr>': random.Random}`` of the model's modules."""
    model = getattr(model, 'module', model)
    found = {}
    for name, module in model.named_modules():
        for attr, value in vars(module).items():
            if isinstance(value, random.Random):
                found[f'{name}.{attr}' if name else attr] = value
    return found


def _rng_state_to_lists(state):
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _save_module_rngs(runner, checkpoint: dict) -> None:
    rngs = _module_rngs(runner.model)
    if rngs:
        checkpoint['rvos_module_rng_states'] = {
            k: _rng_state_to_lists(v.getstate()) for k, v in rngs.items()}


def _load_module_rngs(runner, checkpoint: dict) -> None:
    states = checkpoint.get('rvos_module_rng_states') or {}
    rngs = _module_rngs(runner.model)
    for key, state in states.items():
        if key in rngs:
            version, internal, gauss = state
            rngs[key].setstate((version, tuple(internal), gauss))


@HOOKS.register_module()
class RVOSEpochSeedHook(Hook):
    """Seed python, numpy and torch with ``base_seed + epoch + rank`` offset.

    Args:
        base_seed (int, optional): Defaults to the runner's seed.
    """

    priority = 'VERY_HIGH'

    def __init__(self, base_seed: int = None):
        self.base_seed = base_seed

    def _base(self, runner) -> int:
        return int(self.base_seed if self.base_seed is not None
                   else runner.seed)

    def before_train_epoch(self, runner) -> None:
        base = self._base(runner)
        seed = (base + 1000003 * runner.epoch + runner.rank) % (2**31)
        seed_everything(seed)
        set_sampling_round(base, runner.iter)
        loop = runner.train_loop
        if hasattr(loop, 'dataloader_iterator') and not isinstance(
                loop.dataloader_iterator, _IterSeededIterator):
            loop.dataloader_iterator = _IterSeededIterator(
                loop.dataloader_iterator, seed, base)
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

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        """The next batch fetched (epoch-based loops) is ``iter + 1``."""
        set_sampling_round(self._base(runner), runner.iter + 1)

    def after_train(self, runner) -> None:
        clear_sampling_round()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Save the model modules' private ``random.Random`` states."""
        _save_module_rngs(runner, checkpoint)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Restore them (resume / load_from)."""
        _load_module_rngs(runner, checkpoint)
