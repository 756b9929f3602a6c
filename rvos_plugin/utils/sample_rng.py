"""Per-sample random generators: a draw depends on the sample, not the rank.

Under DDP every process seeds its global generators differently (mmengine's
workers and ``RVOSEpochSeedHook`` add the rank), so a random choice made with
``random`` / ``np.random`` depends on how the samples of a global batch are
split over the processes: 2 processes of batch 1 and 1 process of batch 2
would sample other frames, flip other clips and phrase other questions for
the *same* samples. :func:`sample_rng` returns a generator that is a function
of (base seed, global batch index, dataset index, purpose) only; the global
batch index is the training iteration (``runner.iter``) that will consume the
sample, the same on every rank and in a resumed run.

``RVOSEpochSeedHook`` publishes the base seed and the global batch index
(:func:`set_sampling_round`) in the training process, before each batch is
fetched. Callers fall back to their former generator (``random``,
``np.random``, a module's own ``random.Random``) when :func:`sample_rng`
returns ``None``: no hook (direct ``model.loss`` calls in tests), no
``sample_idx`` in the results, or inside a dataloader worker process (the
round a worker holds is the one at its fork: with ``num_workers > 0`` the
draws stay per worker, as before, and exact DDP equivalence is not
guaranteed; docs/decisions/reliability.md).
"""
import random
from typing import Optional

import numpy as np

_STATE = dict(seed=None, batch_index=None)


def set_sampling_round(seed: int, batch_index: int) -> None:
    """Publish the base seed and the global batch index of the next batch.

    Args:
        seed (int): The run's base seed (the same on every rank).
        batch_index (int): The training iteration the next fetched batch
            belongs to.
    """
    _STATE['seed'] = int(seed)
    _STATE['batch_index'] = int(batch_index)


def clear_sampling_round() -> None:
    """Forget the round (end of training): callers use their fallback."""
    _STATE['seed'] = _STATE['batch_index'] = None


def sampling_round() -> Optional[tuple]:
    """``(seed, batch_index)`` or ``None`` when unset / in a worker."""
    if _STATE['batch_index'] is None:
        return None
    from torch.utils.data import get_worker_info
    if get_worker_info() is not None:
        return None
    return _STATE['seed'], _STATE['batch_index']


def sample_rng(sample_idx, purpose: str) -> Optional[random.Random]:
    """A ``random.Random`` for one sample's draws of one kind.

    Args:
        sample_idx (int | None): The dataset index (``results['sample_idx']``
            / ``metainfo['sample_idx']``).
        purpose (str): What is drawn (``'flip'``, ``'frames'``, ...): two
            transforms of one sample get independent streams.

    Returns:
        random.Random | None: seeded by (seed, batch index, sample_idx,
        purpose) (string seeds are hashed with SHA-512: the same in every
        process), or ``None`` (use the fallback generator).
    """
    current = sampling_round()
    if current is None or sample_idx is None:
        return None
    seed, batch_index = current
    return random.Random(f'{seed}|{batch_index}|{int(sample_idx)}|{purpose}')


def sample_np_rng(sample_idx, purpose: str) -> Optional[np.random.RandomState]:
    """The numpy counterpart of :func:`sample_rng` (``None`` likewise)."""
    rng = sample_rng(sample_idx, purpose)
    if rng is None:
        return None
    return np.random.RandomState(rng.getrandbits(32))
