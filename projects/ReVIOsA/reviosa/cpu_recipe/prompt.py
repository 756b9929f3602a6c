"""How the CPU recipe builds each seg token's SAM2 prompt, the prompt head's
text and the actor's context (methods of :class:`ReVIOsACPURecipe`; not in
the paper). Reasons: ``docs/decisions/reviosa.md``, revision 3 and sessions
3-8."""
from typing import Dict, Optional, Sequence

import torch

from .actor_context import past_frames, proximity_maps, temporal_max


class RecipePromptMixin:
    """Prompt, head text and actor context of :class:`ReVIOsACPURecipe`.

    Reads the recipe's ``text_encoder``, ``text_proj``, ``projector``,
    ``role_word_attention``, ``sam2.prompt_head`` and ``target_context_*``
    attributes.
    """

    def encode_expressions(self, expressions: Sequence[str]
                           ) -> Optional[Dict[str, torch.Tensor]]:
        """Frozen pretrained word states of the expressions (None without
        ``expression_encoder``): ``hidden`` (B, L, C_t), ``mask`` (B, L),
        ``pooled`` (B, C_t)."""
        if self.text_encoder is None:
            return None
        with torch.no_grad():
            return self.text_encoder(list(expressions))

    def build_prompt(self, seg_hidden: torch.Tensor,
                     text: Optional[Dict[str, torch.Tensor]] = None,
                     index: int = 0) -> torch.Tensor:
        """SAM2 prompt of one seg token.

        Args:
            seg_hidden (Tensor): (1, C_llm) last-layer state at the token.
            text (dict, optional): :meth:`encode_expressions` output.
            index (int): row of ``text`` (the token's expression).

        Returns:
            Tensor: (1, P, C) -- P = 1 (the projected seg state, the paper)
            or 1 + L with ``expression_encoder``: the seg state plus the
            projected pooled expression, then the projected word states.
        """
        prompt = self.projector(seg_hidden)
        if text is None:
            return prompt
        dtype = self.text_proj.weight.dtype
        words = text['hidden'][index][text['mask'][index]].to(dtype)
        pooled = text['pooled'][index:index + 1].to(dtype)
        first = prompt + self.text_proj(pooled)[:, None]
        return torch.cat([first, self.text_proj(words)[None]], dim=1)

    def build_head_text(self, seg_hidden: torch.Tensor,
                        text: Optional[Dict[str, torch.Tensor]],
                        index: int = 0,
                        role_index: int = 0) -> Optional[dict]:
        """Text of the prompt-conditioned mask head for one seg token.

        Baseline-style conditioning (``RVOSTextFPNMaskHead`` on frozen
        pretrained word states) plus the role: the projected seg-token
        state ``MLP(h_seg)`` is concatenated to the pooled text and
        to every word state. With ``role_word_attention`` the pooled text
        is the role-weighted word mean and the word states are gated by
        the role's weights. None without ``expression_encoder`` or without
        a prompt mask head (the head then reads the prompt tokens).

        Args:
            seg_hidden (Tensor): (1, C_llm) last-layer state at the token.
            text (dict, optional): :meth:`encode_expressions` output.
            index (int): row of ``text``.
            role_index (int): 0 for the actor token, 1 for the target token
                (read by ``role_word_attention`` with ``num_roles``).

        Returns:
            dict | None: ``hidden`` (1, L, C_t + C), ``mask`` (1, L),
            ``pooled`` (1, C_t + C).
        """
        if text is None or self.sam2.prompt_head is None:
            return None
        seg = self.projector(seg_hidden)[:, 0]  # (1, C)
        words = text['hidden'][index:index + 1].to(seg.dtype)
        mask = text['mask'][index:index + 1]
        pooled = text['pooled'][index:index + 1].to(seg.dtype)
        if self.role_word_attention is not None:
            pooled, gate = self.role_word_attention(seg, words, mask,
                                                    role_index)
            words = words * gate[..., None]
        length = words.size(1)
        return dict(
            hidden=torch.cat([words, seg[:, None].expand(-1, length, -1)],
                             dim=-1),
            mask=mask,
            pooled=torch.cat([pooled, seg], dim=-1))

    def actor_context(self, target_mask: torch.Tensor,
                      frame_inds: Optional[Sequence[int]] = None
                      ) -> torch.Tensor:
        """Context of the actor's head.

        Args:
            target_mask (Tensor): (T, 1, H, W) target mask in [0, 1].
            frame_inds (Sequence[int], optional): video frame index of each
                mask; required with ``target_context_window`` or
                ``target_context_past``.

        Returns:
            Tensor: (T, K, H, W): the mask and its R proximity maps; with
            ``target_context_window`` also the mask's union over the window
            (:func:`temporal_max`) and its R proximity maps; with
            ``target_context_past`` also the mask D frames earlier
            (:func:`past_frames`) and its R proximity maps. K = (1 + R)
            times the number of these maps.
        """
        maps = [target_mask]
        if (self.target_context_window or self.target_context_past) and \
                frame_inds is None:
            raise ValueError(
                'target_context_window / target_context_past need the frame '
                "indices of the clip (metainfo 'frame_inds', set by "
                'PackRVOSInputs).')
        if self.target_context_window:
            maps.append(temporal_max(target_mask, frame_inds,
                                     self.target_context_window))
        if self.target_context_past:
            maps.append(past_frames(target_mask, frame_inds,
                                    self.target_context_past))
        out = []
        for m in maps:
            out.append(m)
            if self.target_context_radii:
                out.append(proximity_maps(m, self.target_context_radii))
        return torch.cat(out, dim=1)
