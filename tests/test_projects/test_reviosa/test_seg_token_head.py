import torch
from reviosa_tiny import REPO  # noqa: F401

from projects.ReVIOsA.reviosa.seg_token_head import (
    ReVIOsASegTokenProjector, find_token_positions, first_token_hidden)

SEG, TAR, PAD = 7, 8, 0


def test_positions_right_and_left_padding():
    # same two sequences, padded right then left; PAD == SEG id on purpose
    right = torch.tensor([[1, 2, SEG, 3, TAR, 4], [1, SEG, 4, 0, 0, 0]])
    rmask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    left = torch.tensor([[1, 2, SEG, 3, TAR, 4], [0, 0, 0, 1, SEG, 4]])
    lmask = torch.tensor([[1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1]])
    b, s = find_token_positions(right, SEG, rmask)
    assert b.tolist() == [0, 1] and s.tolist() == [2, 1]
    b, s = find_token_positions(left, SEG, lmask)
    assert b.tolist() == [0, 1] and s.tolist() == [2, 4]
    # padding with an id equal to the token is ignored thanks to the mask
    padded = torch.tensor([[SEG, SEG, 1, SEG]])
    b, s = find_token_positions(padded, SEG, torch.tensor([[0, 0, 1, 1]]))
    assert s.tolist() == [3]


def test_first_token_hidden_no_shift():
    ids = torch.tensor([[0, 0, 5, SEG, 9], [5, SEG, 9, SEG, 0]])
    mask = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 0]])
    hidden = torch.arange(2 * 5 * 3, dtype=torch.float).view(2, 5, 3)
    emb, found = first_token_hidden(hidden, ids, SEG, mask)
    assert found.tolist() == [True, True]
    # the state AT the token (no shift), first occurrence
    assert torch.equal(emb[0], hidden[0, 3])
    assert torch.equal(emb[1], hidden[1, 1])
    emb, found = first_token_hidden(hidden, ids, TAR, mask)
    assert found.tolist() == [False, False]
    assert torch.count_nonzero(emb) == 0


def test_projector_shape_and_layers():
    proj = ReVIOsASegTokenProjector(16, 256)
    out = proj(torch.randn(3, 16))
    assert out.shape == (3, 1, 256)
    kinds = [type(m).__name__ for m in proj.mlp]
    assert kinds[:3] == ['Linear', 'ReLU', 'Linear']
    assert proj.mlp[0].in_features == 16 and proj.mlp[2].out_features == 256
