"""Which token rows ReVIOsA trains (``train_token_embeddings``): the
gradients of each mode, old rows unchanged by AdamW steps, the rows in
generation, checkpoints, bf16 and DDP."""
import pytest
import torch
import torch.distributed as dist
from reviosa_tiny import tiny_model_cfg
from mmengine.runner.checkpoint import load_state_dict
from torch import nn

from projects.ReVIOsA.reviosa.token_rows import NewTokenRows, token_row_mode
from rvos_plugin.registry import MODELS
from rvos_plugin.testing._utils import demo_rvos_batch


def _data(model):
    batch = demo_rvos_batch(2, 2, (16, 20), seed=0)
    s = batch['data_samples'][1]
    s.set_metainfo(dict(has_target=True, caption_type='unidirectional'))
    for f in s.video_data_samples:
        f.gt_target_mask.data[..., 4:9, 5:12] = 1
    return model.data_preprocessor(batch, True)


def _build(mode):
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg(train_token_embeddings=mode)).train()


def _token_params(model):
    """Trainable parameters that hold token rows."""
    return sorted(n for n, p in model.named_parameters()
                  if p.requires_grad and ('embed_tokens' in n or 'lm_head'
                                          in n or 'new_token_rows' in n))


@pytest.mark.parametrize('mode, expected', [
    ('new_tokens', ['new_token_rows.input_rows',
                    'new_token_rows.output_rows']),
    ('all', ['mllm.lm_head.weight',
             'mllm.model.language_model.embed_tokens.weight']),
    ('none', []),
])
def test_parameters_with_gradients_per_mode(mode, expected):
    model = _build(mode)
    assert _token_params(model) == expected
    model._rng.seed(0)
    sum(model(**_data(model), mode='loss').values()).backward()
    # every trainable parameter gets a gradient (DDP without unused ones)
    assert [n for n, p in model.named_parameters()
            if p.requires_grad and p.grad is None] == []
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert any('lora_' in n for n in names)
    assert any('sam_mask_decoder' in n for n in names)
    assert not any('vision_tower' in n or 'image_encoder' in n
                   for n in names)
    if mode == 'new_tokens':
        rows = model.new_token_rows
        # the LM loss reaches both seg tokens' rows (both in the answer of
        # the unidirectional sample)
        assert (rows.input_rows.grad.abs().sum(1) > 0).all()
        assert (rows.output_rows.grad.abs().sum(1) > 0).all()


def _effective_rows(model):
    """(V, C) embedding and lm_head rows as the model uses them."""
    ids = torch.arange(model.mllm.get_input_embeddings().num_embeddings)
    emb = model.mllm.get_input_embeddings()(ids[None])[0]
    eye = torch.eye(emb.size(1))
    head = model.mllm.get_output_embeddings()(eye).T  # (V, C)
    return emb.detach().clone(), head.detach().clone()


@pytest.mark.parametrize('mode', ['new_tokens', 'all'])
def test_adamw_steps_change_only_the_new_rows(mode):
    model = _build(mode)
    seg = sorted(model.tokenizer.convert_tokens_to_ids(
        ['[SEG_ACT]', '[SEG_TAR]']))
    old = torch.ones(model.mllm.get_input_embeddings().num_embeddings,
                     dtype=torch.bool)
    old[seg] = False
    emb0, head0 = _effective_rows(model)
    # weight decay applies to every row a parameter holds
    opt = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-2,
        weight_decay=0.05)
    data = _data(model)
    for _ in range(2):
        model._rng.seed(0)
        opt.zero_grad()
        sum(model(**data, mode='loss').values()).backward()
        opt.step()
    emb1, head1 = _effective_rows(model)
    assert not torch.equal(emb1[seg], emb0[seg])
    assert not torch.equal(head1[seg], head0[seg])
    if mode == 'new_tokens':
        assert torch.equal(emb1[old], emb0[old])
        assert torch.equal(head1[old], head0[old])
        # the frozen matrices themselves are never written
        rows = model.new_token_rows
        torch.testing.assert_close(emb1[seg], rows.input_rows.detach())
    else:  # the released code's mode moves the old rows too
        assert not torch.equal(emb1[old], emb0[old])


def test_rows_are_used_in_generation_and_checkpoints(tmp_path):
    model = _build('new_tokens').eval()
    rows = model.new_token_rows
    with torch.no_grad():
        rows.output_rows[0].normal_(0, 10.0)  # make [SEG_ACT] dominate
        rows.input_rows.normal_()
    act = model.tokenizer.convert_tokens_to_ids('[SEG_ACT]')
    ids = torch.tensor([model.tokenizer('hello world')['input_ids']])
    out = model.mllm.generate(input_ids=ids, max_new_tokens=1,
                              do_sample=False,
                              pad_token_id=model.tokenizer.pad_token_id)
    assert out[0, -1].item() == act
    # save / load: the rows travel in the state dict
    path = tmp_path / 'model.pth'
    torch.save(model.state_dict(), path)
    other = _build('new_tokens')
    other.load_state_dict(torch.load(path))
    assert torch.equal(other.new_token_rows.input_rows, rows.input_rows)
    assert torch.equal(other.new_token_rows.output_rows, rows.output_rows)
    # an older checkpoint without the rows (trained with 'all'): the seg
    # tokens' rows are taken from its full matrices
    old = _build('all')
    with torch.no_grad():
        old.mllm.get_input_embeddings().weight.normal_()
    state = old.state_dict()
    # mmengine's loader (load_from / resume) runs the same pre-hook
    load_state_dict(other, dict(state), strict=True)
    seg = other.new_token_rows.token_ids
    assert torch.equal(other.new_token_rows.input_rows,
                       state['mllm.model.language_model.embed_tokens.weight']
                       [seg])
    assert torch.equal(other.new_token_rows.output_rows,
                       state['mllm.lm_head.weight'][seg])


def test_train_token_embeddings_values():
    assert token_row_mode(True) == 'all'
    assert token_row_mode(False) == 'none'
    assert token_row_mode('new_tokens') == 'new_tokens'
    with pytest.raises(ValueError, match='new_tokens'):
        token_row_mode('some')


class _TinyLM(nn.Module):

    def __init__(self, tied: bool, dtype=torch.float32):
        super().__init__()
        self.emb = nn.Embedding(10, 4).to(dtype)
        self.head = nn.Linear(4, 10, bias=False).to(dtype)
        if tied:
            self.head.weight = self.emb.weight
        self.emb.requires_grad_(False)
        self.head.requires_grad_(False)
        self.rows = NewTokenRows(self.emb, self.head, [8, 9])

    def forward(self, ids):
        return self.head(self.emb(ids))


@pytest.mark.parametrize('tied', [False, True])
def test_new_token_rows_hand_computed(tied):
    torch.manual_seed(0)
    lm = _TinyLM(tied)
    with torch.no_grad():
        lm.rows.input_rows.copy_(torch.arange(8.).view(2, 4))
        if not tied:
            lm.rows.output_rows.copy_(-torch.arange(8.).view(2, 4))
    ids = torch.tensor([[1, 9, 8]])
    emb = lm.emb(ids)[0]
    assert torch.equal(emb[0], lm.emb.weight[1])
    assert emb[1].tolist() == [4., 5., 6., 7.]
    assert emb[2].tolist() == [0., 1., 2., 3.]
    h = torch.tensor([[1., 0., 0., 1.]])
    logits = lm.head(h)[0]
    out = lm.rows.output_rows if not tied else lm.rows.input_rows
    assert torch.allclose(logits[8:], h[0] @ out.T)
    assert torch.allclose(logits[:8], h[0] @ lm.head.weight[:8].T)
    assert lm.rows.tied == tied and (lm.rows.output_rows is None) == tied
    merged = lm.rows.merged(lm.emb.weight)
    assert torch.equal(merged[8:], lm.rows.input_rows)


def test_new_token_rows_bf16():
    lm = _TinyLM(False, torch.bfloat16)
    assert lm.rows.input_rows.dtype == torch.bfloat16
    out = lm(torch.tensor([[1, 8, 9]]))
    assert out.dtype == torch.bfloat16
    out.float().sum().backward()
    assert lm.rows.input_rows.grad.dtype == torch.bfloat16
    assert lm.rows.input_rows.grad.abs().sum() > 0


def test_new_token_rows_under_ddp(tmp_path):
    """gloo, one process: DDP without find_unused_parameters steps twice
    (it raises when a trainable parameter got no gradient)."""
    if dist.is_initialized():
        pytest.skip('a process group is already initialised')
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/pg',
                            rank=0, world_size=1)
    try:
        torch.manual_seed(0)
        lm = _TinyLM(False)
        ddp = nn.parallel.DistributedDataParallel(lm)
        opt = torch.optim.AdamW(ddp.parameters(), lr=0.1)
        before = lm.emb.weight.detach().clone()
        for _ in range(2):
            opt.zero_grad()
            ddp(torch.tensor([[1, 2, 3]])).sum().backward()  # no new token
            opt.step()
        assert torch.equal(lm.emb.weight, before)
        assert lm.rows.output_rows.grad.abs().sum() > 0
    finally:
        dist.destroy_process_group()


def test_bf16_mllm_trains_and_generates_with_the_rows():
    torch.manual_seed(0)
    cfg = tiny_model_cfg()
    cfg['mllm'] = dict(cfg['mllm'], torch_dtype='bfloat16')
    model = MODELS.build(cfg)
    rows = model.new_token_rows
    assert rows.input_rows.dtype == rows.output_rows.dtype == torch.bfloat16
    act = model.tokenizer.convert_tokens_to_ids('[SEG_ACT]')
    words = model.tokenizer('hello world', add_special_tokens=False)
    ids = torch.tensor([words['input_ids'] + [act] + words['input_ids']])
    hidden = model.mllm.model(input_ids=ids).last_hidden_state
    logits = model.mllm.lm_head(hidden)
    assert logits.dtype == torch.bfloat16
    torch.nn.functional.cross_entropy(logits[0, :-1].float(),
                                      ids[0, 1:]).backward()
    # [SEG_ACT] is an input before other tokens and a label
    assert rows.input_rows.grad[0].abs().sum() > 0
    assert rows.output_rows.grad[0].abs().sum() > 0
    assert model.mllm.get_input_embeddings().weight.grad is None
    out = model.mllm.generate(input_ids=ids, max_new_tokens=2,
                              do_sample=False,
                              pad_token_id=model.tokenizer.pad_token_id)
    assert out.shape == (1, ids.size(1) + 2)
