"""Bi-directional vision-language feature interaction (WSRVOS Sec. 3.3).

Two cross-attention streams on the final encoder outputs (projected to D):
- vision-language stream (Tab. 6 ``l2va``): ``F_Z`` queries ``F_V`` ->
  ``F~_Z``;
- language-vision stream (Tab. 6 ``v2la``): ``F_V`` queries ``F_Z`` ->
  ``F~_V``;
then ``F'_V = LayerNorm(FFN(F~_V) + F_V)`` and
``F'_Z = LayerNorm(FFN(F~_Z) + F_Z)``.

The video attends to the tokens of the *conditioning* expressions (paper and
default: F_Z of all P + N slots in training, the query at test; released
code: the positives only, a label-dependent switch); every expression attends
to its own sample's video.

Released-code switches (its ``CrossAttentionBlock``):
- ``post_norm_block``: each stream is a post-norm transformer block,
  ``X = LN_1(Q + Attn(Q, M))``, ``Q' = LN_2(X + FFN(X))`` (its ``norm1`` is
  ``{video,text}_attn_norm`` here, its ``norm2`` ``{video,text}_norm``);
- ``text_attends_updated_video``: the text attends to ``F'_V`` (the video
  after its own stream) instead of ``F_V``.
"""
from typing import Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS


class _FFN(nn.Sequential):
    """Two-layer feed-forward network ``D -> ratio*D -> D``."""

    def __init__(self, dim: int, ratio: int = 4, dropout: float = 0.0):
        super().__init__(
            nn.Linear(dim, dim * ratio), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(dim * ratio, dim), nn.Dropout(dropout))


@MODELS.register_module()
class WSRVOSBiDirectionalInteraction(BaseModule):
    """Sec. 3.3 bi-directional interaction with per-direction switches.

    Args:
        dim (int): D (paper: 1024).
        num_heads (int): Attention heads (released code: 8).
        ffn_ratio (int): FFN expansion (released code: 4).
        text_queries_video (bool): Tab. 6 ``l2va`` stream (F_Z queries F_V).
        video_queries_text (bool): Tab. 6 ``v2la`` stream (F_V queries F_Z).
        dropout (float): Attention/FFN dropout.
        post_norm_block (bool): Released code: ``LN_2(X + FFN(X))`` with
            ``X = LN_1(Q + Attn)`` instead of ``LN(FFN(Attn) + Q)``.
        text_attends_updated_video (bool): Released code: the text stream
            reads ``F'_V`` (sequential) instead of ``F_V`` (parallel).
    """

    def __init__(self,
                 dim: int,
                 num_heads: int = 8,
                 ffn_ratio: int = 4,
                 text_queries_video: bool = True,
                 video_queries_text: bool = True,
                 dropout: float = 0.0,
                 post_norm_block: bool = False,
                 text_attends_updated_video: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.text_queries_video = text_queries_video
        self.video_queries_text = video_queries_text
        self.post_norm_block = post_norm_block
        self.text_attends_updated_video = text_attends_updated_video
        for name, on in (('text', text_queries_video),
                         ('video', video_queries_text)):
            if not on:
                continue
            setattr(self, f'{name}_attn', nn.MultiheadAttention(
                dim, num_heads, dropout=dropout, batch_first=True))
            setattr(self, f'{name}_ffn', _FFN(dim, ffn_ratio, dropout))
            setattr(self, f'{name}_norm', nn.LayerNorm(dim))
            if post_norm_block:
                setattr(self, f'{name}_attn_norm', nn.LayerNorm(dim))

    def _residual(self, name: str, query: Tensor, attended: Tensor) -> Tensor:
        """Sec. 3.3 ``LN(FFN(F~) + F)`` or the released post-norm block."""
        ffn, norm = getattr(self, f'{name}_ffn'), getattr(self, f'{name}_norm')
        if self.post_norm_block:
            x = getattr(self, f'{name}_attn_norm')(query + attended)
            return norm(x + ffn(x))
        return norm(ffn(attended) + query)

    def forward(self, visual: Tensor, text: Tensor, text_mask: Tensor,
                condition: Tensor) -> Tuple[Tensor, Tensor]:
        """Refine both modalities.

        Args:
            visual (Tensor): ``F_V`` ``(B, T*Nv, D)``.
            text (Tensor): ``F_Z`` tokens ``(B, E, L, D)``.
            text_mask (Tensor): Bool ``(B, E, L)``, False for padding.
            condition (Tensor): Bool ``(B, E)`` expressions the video
                attends to.

        Returns:
            tuple: ``F'_V`` ``(B, T*Nv, D)`` and ``F'_Z`` ``(B, E, L, D)``.
        """
        B, E, L, D = text.shape
        out_visual, out_text = visual, text
        if self.video_queries_text:
            keys = text.reshape(B, E * L, D)
            key_ok = (text_mask & condition[:, :, None]).reshape(B, E * L)
            # a sample without any conditioning token attends to nothing:
            # keep one key so softmax is defined, and zero its output.
            has_key = key_ok.any(-1)
            safe_ok = key_ok.clone()
            safe_ok[~has_key, 0] = True
            attended, _ = self.video_attn(
                visual, keys, keys, key_padding_mask=~safe_ok,
                need_weights=False)
            attended = attended * has_key[:, None, None].to(attended.dtype)
            out_visual = self._residual('video', visual, attended)
        if self.text_queries_video:
            # every expression of a sample attends to that sample's video:
            # one (E*L)-query attention per sample (no per-expression copy
            # of the video memory).
            memory = out_visual if self.text_attends_updated_video else visual
            queries = text.reshape(B, E * L, D)
            attended, _ = self.text_attn(
                queries, memory, memory, need_weights=False)
            attended = attended.reshape(B, E, L, D)
            out_text = self._residual('text', text, attended)
        return out_visual, out_text
