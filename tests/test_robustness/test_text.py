"""Expressions at the text encoder: too long (one warning per run with the
count) and invisible-only (an error)."""
import warnings

import pytest

from rvos_plugin.registry import MODELS
from rvos_plugin.utils.truncation_report import TruncationCounter


@pytest.fixture(scope='module')
def encoder():
    # the real MiniLM tokenizer; a tiny random model (the tokenizer decides)
    return MODELS.build(dict(
        type='RVOSHFTextEncoder', max_length=12,
        config=dict(model_type='bert', hidden_size=8, num_hidden_layers=1,
                    num_attention_heads=1, intermediate_size=8)))


def test_long_expressions_warn_once_and_are_counted(encoder, monkeypatch):
    monkeypatch.setattr(TruncationCounter, '_instances', {})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        encoder.tokenize(['a red box', 'word ' * 2000])
        encoder.tokenize(['word ' * 40, 'the cat', 'word ' * 13])
        encoder.tokenize(['one two three'])
    ours = [w for w in caught if 'max_length=12' in str(w.message)]
    assert len(ours) == 1 and '2002 tokens' in str(ours[0].message)
    counter = TruncationCounter.get('RVOSHFTextEncoder', 12)
    assert (counter.truncated, counter.seen) == (3, 6)
    assert '3 of 6 expressions' in counter.summary()


def test_text_that_fits_exactly_is_not_counted(encoder, monkeypatch):
    monkeypatch.setattr(TruncationCounter, '_instances', {})
    encoder.tokenize(['w ' * 10])  # 10 words + [CLS] [SEP] = 12 tokens
    assert TruncationCounter.get('RVOSHFTextEncoder', 12).truncated == 0


@pytest.mark.parametrize('text', ['', '   ', '\u200b\u200b', '\ufeff',
                                  '\u200d \u2060'],
                         ids=['empty', 'spaces', 'zwsp', 'bom', 'joiners'])
def test_invisible_expression_is_an_error(encoder, text):
    with pytest.raises(ValueError, match='empty'):
        encoder.tokenize(['a dog', text])
