"""Which token-embedding rows ReVIOsA trains (``train_token_embeddings``).

The paper trains LoRA and the SAM2 decoder only (InterRVOS Sec. 4.1); the
released code (Sa2VA's recipe) also makes the whole input embedding and
lm_head trainable so the added seg tokens become learnable. Only the seg
tokens' rows need it: :class:`NewTokenRows` keeps both matrices frozen and
learns the seg tokens' rows as a small separate parameter, substituted by
forward hooks (training, generation and teacher-forced read-out alike).
Reasons and the choice of the real configs: ``docs/decisions/reviosa.md``,
"Trainable token rows".
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

#: ``'new_tokens'``: only the seg tokens' rows (real-config default);
#: ``'all'``: every row of both matrices (released code); ``'none'``: LoRA
#: and the SAM2 decoder only (the paper's wording).
TOKEN_ROW_MODES = ('new_tokens', 'all', 'none')


def token_row_mode(value: Union[str, bool]) -> str:
    """Normalise ``train_token_embeddings`` (True = ``'all'``, False =
    ``'none'``, the meanings of the boolean switch it replaced)."""
    if value is True:
        return 'all'
    if value is False:
        return 'none'
    if value not in TOKEN_ROW_MODES:
        raise ValueError(f'train_token_embeddings must be one of '
                         f'{TOKEN_ROW_MODES} (or a bool), got {value!r}.')
    return value


class NewTokenRows(nn.Module):
    """Trainable rows of a few tokens beside a frozen embedding / lm_head.

    The rows start as copies of the matrices' rows of ``token_ids``. A
    forward hook on the embedding replaces the output at those tokens by
    ``input_rows``; a forward hook on the lm_head replaces the logits of
    those tokens by ``h @ output_rows^T``. The frozen matrices are never
    written, so every other token keeps its pretrained row whatever the
    optimizer does (weight decay included). With tied matrices one set of
    rows serves both.

    Args:
        embedding (nn.Embedding): the LLM input embedding (V, C).
        lm_head (nn.Linear): the LM head, weight (V, C), no bias.
        token_ids (Sequence[int]): the rows to train.
        source_keys (tuple[str, str]): state-dict keys of the embedding and
            lm_head weights relative to the module owning this one, which
            registers :meth:`fill_missing` as its load pre-hook.
        name (str): this module's attribute name in its owner.
    """

    def __init__(self, embedding: nn.Embedding, lm_head: nn.Linear,
                 token_ids: Sequence[int],
                 source_keys: Tuple[str, str] = ('', ''),
                 name: str = 'new_token_rows'):
        super().__init__()
        self.source_keys, self.name = tuple(source_keys), name
        ids = sorted({int(i) for i in token_ids})
        if not ids or ids[0] < 0 or ids[-1] >= embedding.num_embeddings:
            raise ValueError(f'token ids {ids} out of range for an '
                             f'embedding of {embedding.num_embeddings} rows.')
        if getattr(lm_head, 'bias', None) is not None:
            raise ValueError('NewTokenRows expects an lm_head without bias.')
        self.register_buffer('token_ids', torch.tensor(ids),
                             persistent=False)
        index = self.token_ids.to(embedding.weight.device)
        self.input_rows = nn.Parameter(
            embedding.weight.detach()[index].clone())
        self.tied = lm_head.weight is embedding.weight
        self.output_rows = None if self.tied else nn.Parameter(
            lm_head.weight.detach()[index].clone())
        embedding.register_forward_hook(self._embedding_hook)
        lm_head.register_forward_hook(self._lm_head_hook)

    def _head_rows(self) -> torch.Tensor:
        return self.input_rows if self.tied else self.output_rows

    def _embedding_hook(self, module, args, output: torch.Tensor):
        """(B, L, C) embeddings with the trained rows at the new tokens."""
        ids = args[0]
        match = ids[..., None] == self.token_ids.to(ids.device)  # (B, L, K)
        rows = self.input_rows[match.long().argmax(-1)]
        return torch.where(match.any(-1, keepdim=True),
                           rows.to(output.dtype), output)

    def _lm_head_hook(self, module, args, output: torch.Tensor):
        """(..., V) logits with the trained rows' logits at the new tokens."""
        new = F.linear(args[0], self._head_rows().to(args[0].dtype))
        return output.index_copy(-1, self.token_ids.to(output.device),
                                 new.to(output.dtype))

    def fill_missing(self, state_dict: dict, prefix: str, *args) -> None:
        """Load pre-hook of the owner: a checkpoint without these rows
        (saved with ``train_token_embeddings='all'`` or before the rows
        existed) carries them inside the full matrices; take them there."""
        sources = (('input_rows', self.source_keys[0]),
                   ('output_rows', None if self.tied else self.source_keys[1]))
        for own, key in sources:
            mine = f'{prefix}{self.name}.{own}'
            if key and mine not in state_dict and prefix + key in state_dict:
                matrix = state_dict[prefix + key]
                state_dict[mine] = matrix[self.token_ids.to(matrix.device)]

    @torch.no_grad()
    def merged(self, weight: torch.Tensor,
               output: bool = False) -> torch.Tensor:
        """A copy of ``weight`` (V, C) with the trained rows written in
        (for exporting one matrix per role, e.g. an HF checkpoint)."""
        rows = self._head_rows() if output else self.input_rows
        out = weight.detach().clone()
        out[self.token_ids.to(out.device)] = rows.to(out.dtype)
        return out


def train_token_rows(mllm: nn.Module, mode: str, token_ids: Sequence[int],
                     prefix: str = '') -> Optional[NewTokenRows]:
    """Make the token rows of ``mode`` trainable (after the MLLM froze).

    Args:
        mllm (nn.Module): HF model with ``get_input_embeddings`` /
            ``get_output_embeddings``.
        mode (str): one of :data:`TOKEN_ROW_MODES`.
        token_ids (Sequence[int]): the new (seg) tokens.
        prefix (str): ``mllm``'s state-dict prefix in the module that will
            own the returned rows.

    Returns:
        NewTokenRows | None: the rows to register (``'new_tokens'``).
    """
    emb, head = mllm.get_input_embeddings(), mllm.get_output_embeddings()
    if mode == 'all':
        emb.requires_grad_(True)
        head.requires_grad_(True)
    if mode != 'new_tokens':
        return None
    keys = {id(m): f'{prefix}{n}.weight' for n, m in mllm.named_modules()}
    return NewTokenRows(emb, head, token_ids, (keys[id(emb)], keys[id(head)]))
