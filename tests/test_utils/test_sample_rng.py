"""Per-sample generators (rvos_plugin.utils.sample_rng): a draw is a function
of (seed, global batch index, sample index, purpose), never of the rank or of
the global generators' state; RVOSEpochSeedHook publishes the round."""
import random

import numpy as np
import pytest
import torch.utils.data

from rvos_plugin.datasets.transforms.frame_sampling import RVOSFrameSample
from rvos_plugin.datasets.transforms.geometric import RVOSRandomFlip
from rvos_plugin.engine.hooks.epoch_seed_hook import RVOSEpochSeedHook
from rvos_plugin.utils import sample_rng as srng


@pytest.fixture(autouse=True)
def _clear():
    srng.clear_sampling_round()
    yield
    srng.clear_sampling_round()


def _draws(idx, purpose='p', n=4):
    return [srng.sample_rng(idx, purpose).random() for _ in range(n)]


def test_generator_is_a_function_of_seed_round_sample_and_purpose():
    assert srng.sample_rng(3, 'flip') is None  # no round: the fallback
    srng.set_sampling_round(0, 5)
    assert srng.sample_rng(None, 'flip') is None  # no sample index
    a = srng.sample_rng(3, 'flip').random()
    random.seed(123)  # the global generators do not matter
    np.random.seed(9)
    assert srng.sample_rng(3, 'flip').random() == a
    assert srng.sample_rng(4, 'flip').random() != a
    assert srng.sample_rng(3, 'frames').random() != a
    srng.set_sampling_round(0, 6)
    assert srng.sample_rng(3, 'flip').random() != a
    srng.set_sampling_round(1, 5)
    assert srng.sample_rng(3, 'flip').random() != a
    srng.set_sampling_round(0, 5)
    assert srng.sample_rng(3, 'flip').random() == a
    assert srng.sample_np_rng(3, 'flip').randint(1 << 30) == \
        srng.sample_np_rng(3, 'flip').randint(1 << 30)


def test_no_per_sample_generator_inside_a_dataloader_worker(monkeypatch):
    srng.set_sampling_round(0, 5)
    monkeypatch.setattr(torch.utils.data, 'get_worker_info', lambda: object())
    assert srng.sample_rng(3, 'flip') is None


def test_flip_and_clip_depend_on_the_sample_not_on_the_global_state():
    flip, clip = RVOSRandomFlip(prob=0.5), RVOSFrameSample(num_frames=2)
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)

    def run(idx, global_seed):
        np.random.seed(global_seed)
        random.seed(global_seed)
        res = flip.transform(dict(imgs=[img.copy()], expression='the left cat',
                                  img_shape=(2, 2), sample_idx=idx))
        inds = clip.transform(dict(frame_names=[str(i) for i in range(20)],
                                   sample_idx=idx))['frame_inds']
        return res['flip'], res['expression'], inds

    srng.set_sampling_round(0, 2)
    draws = [run(i, 0) for i in range(16)]
    assert [run(i, 77) for i in range(16)] == draws  # any rank's seeding
    assert {d[0] for d in draws} == {True, False}  # still random per sample
    assert len({tuple(d[2]) for d in draws}) > 4
    for f, exp, _ in draws:
        assert exp == ('the right cat' if f else 'the left cat')
    srng.set_sampling_round(0, 3)  # the next iteration draws anew
    assert [run(i, 0) for i in range(16)] != draws
    srng.clear_sampling_round()  # without the hook: the global generators
    assert run(0, 5) == run(0, 5)


class _Loop:
    pass


class _Runner:
    seed, rank, epoch = 11, 1, 0

    def __init__(self, it):
        self.iter = it
        self.train_loop = _Loop()
        self.train_dataloader = None


def test_seed_hook_publishes_the_next_batch_index_rank_free():
    hook = RVOSEpochSeedHook()
    runner = _Runner(7)  # an epoch-based loop resumed at iteration 7
    hook.before_train_epoch(runner)
    assert srng.sampling_round() == (11, 7)  # the seed without the rank
    hook.after_train_iter(runner, 0)
    assert srng.sampling_round() == (11, 8)
    runner.train_loop.dataloader_iterator = iter(range(100))  # iter-based
    hook.before_train_epoch(runner)
    seeded = runner.train_loop.dataloader_iterator
    for k in range(3):  # a resumed loop fetches and drops batches 0..k-1
        next(seeded)
        assert srng.sampling_round() == (11, k)
    hook.after_train(runner)
    assert srng.sampling_round() is None
