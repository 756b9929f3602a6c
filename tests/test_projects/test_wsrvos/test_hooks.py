"""WSRVOSNegativeBankHook: draws, cross-rank bank, checkpoint round trip."""
import logging

from _wsrvos_helpers import make_sample
from rvos_plugin.registry import HOOKS


class _Runner:
    seed = 7
    iter = 3
    logger = logging.getLogger('test')


def _batch():
    samples = [make_sample(video_id=f'v{i}', expression=f'expr {i}')
               for i in range(3)]
    samples[2] = make_sample(video_id='v0', expression='expr 2')
    for s in samples:
        s.set_metainfo(dict(negative_texts=None))
    return dict(inputs=[], data_samples=samples)


def test_bank_negatives_exclude_the_own_video_and_persist():
    hook = HOOKS.build(dict(type='WSRVOSNegativeBankHook', num_negatives=2,
                            bank_size=4))
    hook.bank.extend([('v9', 'old a'), ('v0', 'old own')])
    batch = _batch()
    hook.before_train_iter(_Runner, 0, batch)
    negs = [s.metainfo['negative_texts'] for s in batch['data_samples']]
    # v0's samples never get v0's expressions (batch or bank)
    for k in (0, 2):
        assert len(negs[k]) == 2
        assert not set(negs[k]) & {'expr 0', 'expr 2', 'old own'}
        assert set(negs[k]) <= {'expr 1', 'old a'}
    assert 'expr 1' not in negs[1] and len(negs[1]) == 2
    # the same (seed, iter, rank) draws the same negatives (exact resume)
    again = _batch()
    hook.before_train_iter(_Runner, 0, again)
    assert [s.metainfo['negative_texts'] for s in again['data_samples']] \
        == negs
    # generated negatives are left alone
    kept = make_sample()
    hook.before_train_iter(_Runner, 0, dict(data_samples=[kept]))
    assert kept.metainfo['negative_texts'] == ['the blue square',
                                               'a green star', 'the dog']
    # after the iteration the batch joins the bank (bounded)
    hook.after_train_iter(_Runner, 0, batch)
    assert list(hook.bank)[-3:] == [('v0', 'expr 0'), ('v1', 'expr 1'),
                                    ('v0', 'expr 2')]
    assert len(hook.bank) == 4
    ckpt = {}
    hook.before_save_checkpoint(_Runner, ckpt)
    other = HOOKS.build(dict(type='WSRVOSNegativeBankHook', num_negatives=2,
                             bank_size=4))
    other.after_load_checkpoint(_Runner, ckpt)
    assert list(other.bank) == list(hook.bank)
    # a checkpoint without a bank (load_from another run): empty bank
    other.after_load_checkpoint(_Runner, {})
    assert list(other.bank) == list(hook.bank)


def _indexed_batch(items):
    samples = []
    for idx, vid in items:
        s = make_sample(video_id=vid, expression=f'expr {idx}')
        s.set_metainfo(dict(negative_texts=None, sample_idx=idx))
        samples.append(s)
    return dict(inputs=[], data_samples=samples)


def test_bank_draws_do_not_depend_on_the_split_over_ranks(monkeypatch):
    """1 process of batch 4 and 2 processes of batch 2 (DefaultSampler
    split: rank r gets the global batch's items r, r + 2): the same
    negatives per sample and the same bank on every rank."""
    from projects.WSRVOS.wsrvos import hooks as hooks_mod
    items = [(10, 'v0'), (11, 'v1'), (12, 'v2'), (13, 'v3')]
    past = [('v5', f'old {k}') for k in range(6)]

    def run(batches):
        """``batches``: the local batch of each simulated rank."""
        monkeypatch.setattr(
            hooks_mod, 'all_gather_object',
            lambda local: [[(s.metainfo['sample_idx'],
                             s.metainfo['video_id'],
                             s.metainfo['expression'])
                            for s in b['data_samples']] for b in batches])
        negs, banks = {}, []
        for b in batches:  # each rank's hook
            hook = HOOKS.build(dict(type='WSRVOSNegativeBankHook',
                                    num_negatives=3, bank_size=8))
            hook.bank.extend(past)
            hook.before_train_iter(_Runner, 0, b)
            hook.after_train_iter(_Runner, 0, b)
            banks.append(list(hook.bank))
            for s in b['data_samples']:
                negs[s.metainfo['sample_idx']] = s.metainfo['negative_texts']
        return negs, banks

    one, one_banks = run([_indexed_batch(items)])
    two, two_banks = run([_indexed_batch(items[0::2]),
                          _indexed_batch(items[1::2])])
    assert one == two and len(one) == 4
    # the other ranks' samples are candidates (global batch, not local)
    pool = set().union(*one.values())
    assert {'expr 11', 'expr 13'} & pool and {'expr 10', 'expr 12'} & pool
    assert one_banks[0] == two_banks[0] == two_banks[1]
    assert one_banks[0][-4:] == [(v, f'expr {i}') for i, v in items]
