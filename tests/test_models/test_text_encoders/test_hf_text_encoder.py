import pytest
import torch
import torch.nn.functional as F

from rvos_plugin.models.text_encoders.hf_text_encoder import (
    RVOSHFTextEncoder, masked_mean)
from rvos_plugin.registry import MODELS

TINY = dict(model_type='bert', hidden_size=32, num_hidden_layers=2,
            num_attention_heads=2, intermediate_size=64)


@pytest.fixture(scope='module')
def minilm():
    return RVOSHFTextEncoder()


def test_real_weights_similar_sentences_closer(minilm):
    out = minilm(['the red ball moving to the left',
                  'a red circle that moves left',
                  'quarterly bank profits fell sharply'])
    pooled = F.normalize(out['pooled'], dim=-1)
    sim = pooled @ pooled.T
    assert sim[0, 1] > 0.5
    assert sim[0, 1] > sim[0, 2] + 0.3
    assert minilm.hidden_size == 384 and minilm.num_blocks == 6


def test_blockwise_equals_full_forward(minilm):
    texts = ['the big blue square', 'a small star']
    tokens = minilm.tokenize(texts)
    lengths = tokens['attention_mask'].sum(1)
    assert lengths[1] < lengths[0]
    with torch.no_grad():
        hidden = minilm.embed(tokens)
        for i in range(minilm.num_blocks):
            hidden = minilm.forward_block(i, hidden, tokens['attention_mask'])
        ref = minilm.model(**tokens).last_hidden_state
    mask = tokens['attention_mask'].bool()
    torch.testing.assert_close(hidden[mask], ref[mask])
    out = minilm(texts)
    torch.testing.assert_close(out['hidden'][mask], ref[mask])
    assert out['mask'].dtype == torch.bool
    assert out['pooled'].shape == (2, 384)


def test_frozen_no_grad_and_eval_kept(minilm):
    assert not any(p.requires_grad for p in minilm.parameters())
    minilm.train()
    assert not minilm.training and not minilm.model.training
    assert not minilm(['a red circle'])['hidden'].requires_grad


def test_truncation_to_max_length():
    enc = RVOSHFTextEncoder(config=TINY, max_length=5)
    tokens = enc.tokenize(['one two three four five six seven eight'])
    assert tokens['input_ids'].shape == (1, 5)


def test_empty_expression_raises_naming_it():
    enc = RVOSHFTextEncoder(config=TINY)
    with pytest.raises(ValueError, match='Expression 1'):
        enc.tokenize(['a red circle', '   '])


def test_allow_empty_encodes_special_tokens_only():
    """WSRVOS released-code switch: '' on purpose (whitespace still not)."""
    enc = RVOSHFTextEncoder(config=TINY)
    tokens = enc.tokenize(['a red circle', ''], allow_empty=True)
    assert tokens['attention_mask'][1].sum() == 2  # [CLS] [SEP]
    assert tokens['input_ids'][1, :2].tolist() == [
        enc.tokenizer.cls_token_id, enc.tokenizer.sep_token_id]
    with pytest.raises(ValueError, match='Expression 1'):
        enc.tokenize(['a red circle', ''])
    with pytest.raises(ValueError, match='Expression 1'):
        enc.tokenize(['a red circle', '  '], allow_empty=True)


def test_tiny_config_trainable_gradients():
    enc = MODELS.build(dict(type='RVOSHFTextEncoder', config=TINY,
                            frozen=False))
    enc.train()
    assert enc.training and enc.hidden_size == 32
    out = enc(['a red circle', 'the square'])
    assert out['hidden'].shape[0] == 2 and out['hidden'].shape[-1] == 32
    out['pooled'].sum().backward()
    assert enc.model.encoder.layer[0].attention.self.query.weight.grad \
        is not None


def test_roberta_tiny_config_blockwise():
    enc = RVOSHFTextEncoder(
        config=dict(TINY, model_type='roberta', pad_token_id=0,
                    max_position_embeddings=64))
    tokens = enc.tokenize(['the blue square is pushed', 'a star'])
    with torch.no_grad():
        ref = enc.model(**tokens).last_hidden_state
        got = enc.encode_tokens(tokens)
    mask = tokens['attention_mask'].bool()
    torch.testing.assert_close(got[mask], ref[mask])


def test_missing_model_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match='roberta-base'):
        RVOSHFTextEncoder(model_path=str(tmp_path / 'roberta-base'))
    with pytest.raises(FileNotFoundError, match='config.json'):
        RVOSHFTextEncoder(model_path=str(tmp_path))
    with pytest.raises(ValueError, match='model_path'):
        RVOSHFTextEncoder(model_path=None)


def test_masked_mean_hand_case():
    hidden = torch.tensor([[[1., 2.], [3., 4.], [100., 100.]]])
    mask = torch.tensor([[True, True, False]])
    torch.testing.assert_close(masked_mean(hidden, mask),
                               torch.tensor([[2., 3.]]))
