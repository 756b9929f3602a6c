"""Expression drawing in the pipeline (P positives, N negatives, slot order)."""
import random

import pytest

from rvos_plugin.registry import TRANSFORMS


def _results(**kw):
    r = dict(video_id='v1', exp_id='0', expression='the red circle',
             positive_texts=['A', 'B'], positive_confidences=[1.0, 0.9],
             negative_texts=['n1', 'n2', 'n3'])
    r.update(kw)
    return r


def test_sample_expressions_fills_and_draws():
    t = TRANSFORMS.build(dict(type='WSRVOSSampleExpressions',
                              num_positives=5, num_negatives=2))
    random.seed(0)
    out = t(_results())
    # Eq. (4) fill: the survivors in turn
    assert out['positive_texts'] == ['A', 'B', 'A', 'B', 'A']
    assert out['positive_confidences'] == [1.0, .9, 1.0, .9, 1.0]
    assert len(out['negative_texts']) == 2
    assert set(out['negative_texts']) <= {'n1', 'n2', 'n3'}
    # more survivors than P: P distinct ones, with their own confidences
    t2 = TRANSFORMS.build(dict(type='WSRVOSSampleExpressions',
                               num_positives=1, num_negatives=5))
    out = t2(_results())
    assert out['positive_texts'] in (['A'], ['B'])
    assert out['positive_confidences'] == [
        {'A': 1.0, 'B': .9}[out['positive_texts'][0]]]
    assert out['negative_texts'] == ['n1', 'n2', 'n3']


def test_sample_expressions_sources_and_fallback():
    orig = TRANSFORMS.build(dict(type='WSRVOSSampleExpressions',
                                 num_positives=3, num_negatives=2,
                                 positive_source='original',
                                 negative_source='other_samples'))
    out = orig(_results())
    assert out['positive_texts'] == ['the red circle'] * 3
    assert out['positive_confidences'] == [1.0] * 3
    assert out['negative_texts'] is None  # left to WSRVOSNegativeBankHook
    # no surviving description: the original expression (Tab. 4 row)
    t = TRANSFORMS.build(dict(type='WSRVOSSampleExpressions',
                              num_positives=2, num_negatives=2))
    out = t(_results(positive_texts=[], positive_confidences=[]))
    assert out['positive_texts'] == ['the red circle'] * 2


def test_sample_expressions_checks_name_the_sample():
    t = TRANSFORMS.build(dict(type='WSRVOSSampleExpressions',
                              num_positives=2, num_negatives=2))
    with pytest.raises(ValueError, match='v1:0.*positive_confidences'):
        t(_results(positive_confidences=[1.0]))
    with pytest.raises(ValueError, match='Empty.*v1:0 negative_texts'):
        t(_results(negative_texts=['ok', ' ']))
    with pytest.raises(ValueError, match='Empty.*v1:0 expression'):
        t(_results(expression=''))
    r = _results()
    del r['positive_texts']
    with pytest.raises(KeyError, match='LoadWSRVOSExpressions'):
        t(r)
    with pytest.raises(ValueError, match='negative_source'):
        TRANSFORMS.build(dict(type='WSRVOSSampleExpressions',
                              negative_source='bank'))


def test_shuffle_slots_is_a_permutation():
    t = TRANSFORMS.build(dict(type='WSRVOSShuffleExpressionSlots',
                              num_slots=7))
    random.seed(1)
    order = t(dict())['slot_order']
    assert sorted(order) == list(range(7)) and order != list(range(7))
