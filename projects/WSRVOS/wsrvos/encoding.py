"""One loop over the block-wise encoders with selection points (Sec. 3.3).

The visual and the linguistic encoders advance block by block; after the
chosen ``(visual block, text block)`` pairs a ``WSRVOSFeatureSelection``
exchanges information between them. The same loop serves training (P + N
expressions), inference (the query alone, Sec. 3.7) and the cached-text path
(final text states looked up instead of recomputed when nothing can change
them).
"""
import inspect
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor


def tokens_to_grid(x: Tensor, B: int, T: int) -> Tensor:
    """``(B*T, C, h, w)`` feature maps -> ``(B, T, h*w, C)`` tokens."""
    NT, C, hh, ww = x.shape
    return x.flatten(2).transpose(1, 2).reshape(B, T, hh * ww, C)


def grid_to_maps(v: Tensor, hh: int, ww: int) -> Tensor:
    """``(B, T, h*w, C)`` tokens -> ``(B*T, C, h, w)`` feature maps."""
    B, T, N, C = v.shape
    return v.reshape(B * T, N, C).transpose(1, 2).reshape(B * T, C, hh, ww)


def check_selection_points(points: Sequence[Tuple[int, int]], num_v: int,
                           num_t: int) -> None:
    """Selection points inside the encoders and increasing, else ValueError.

    Args:
        points (list[tuple[int, int]]): ``(visual block, text block)``.
        num_v (int): Visual blocks run. num_t (int): Text blocks.
    """
    for k, (vb, tb) in enumerate(points):
        if not (1 <= vb <= num_v and 1 <= tb <= num_t):
            raise ValueError(
                f'selection point {(vb, tb)} is outside the encoders '
                f'(visual blocks 1..{num_v}, text blocks 1..{num_t})')
        if k and (vb <= points[k - 1][0] or tb < points[k - 1][1]):
            raise ValueError(f'selection_points must increase: {points}')


class TextStateCache:
    """LRU cache of final text-encoder states per distinct expression.

    Speed only: usable when the text encoder is frozen and no selection point
    changes the text states (then results are unchanged).

    Args:
        size (int): Maximum number of expressions kept.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._states = OrderedDict()  # text -> (L_i, C)

    def __call__(self, text_encoder: nn.Module,
                 texts: List[str]) -> Tuple[Tensor, Tensor]:
        """States ``(N, L, C)`` zero-padded to the longest, mask ``(N, L)``."""
        missing = list(dict.fromkeys(t for t in texts
                                     if t not in self._states))
        if missing:
            tokens = text_encoder.tokenize(missing)
            with torch.no_grad():
                hidden = text_encoder.embed(tokens)
                for ti in range(text_encoder.num_blocks):
                    hidden = text_encoder.forward_block(
                        ti, hidden, tokens['attention_mask'])
            for text, states, keep in zip(missing, hidden,
                                          tokens['attention_mask'].bool()):
                self._states[text] = states[keep].clone()
        states = []
        for t in texts:
            self._states.move_to_end(t)
            states.append(self._states[t])
        while len(self._states) > self.size:
            self._states.popitem(last=False)
        lengths = torch.tensor([len(x) for x in states])
        padded = nn.utils.rnn.pad_sequence(states, batch_first=True)
        mask = torch.arange(padded.shape[1])[None] < lengths[:, None]
        return padded, mask.to(padded.device)


class BlockwiseEncoders:
    """Runs the two encoders together, with selection between blocks.

    A plain helper, not a module: it only holds references to the model's
    ``vision_encoder``, ``text_encoder`` and ``selectors`` (so parameters and
    checkpoint keys stay the model's).

    Args:
        vision_encoder (nn.Module): ``stem``/``forward_block``/
            ``block_channels`` (contract of rvos_plugin backbones).
        text_encoder (nn.Module): ``tokenize``/``embed``/``forward_block``/
            ``num_blocks``/``hidden_size``.
        selectors (nn.ModuleList): One ``WSRVOSFeatureSelection`` per point.
        selection_points (list[tuple[int, int]]): 1-based "after block"
            pairs ``(visual block, text block)``.
        num_vision_blocks (int): Vision blocks to run.
        text_cache_size (int): :class:`TextStateCache` size (0: off).
        final_norm_after_selection (bool): Released code: the vision
            encoder's final norm (``RVOSVideoSwin``'s LayerNorm, part of its
            last block) runs after a selection point at the last block
            instead of before it. Needs ``forward_block(..., final_norm=)``
            and ``apply_final_norm`` (ValueError otherwise).
    """

    def __init__(self, vision_encoder, text_encoder, selectors,
                 selection_points: Sequence[Tuple[int, int]],
                 num_vision_blocks: int, text_cache_size: int = 0,
                 final_norm_after_selection: bool = False) -> None:
        self.vision_encoder = vision_encoder
        self.text_encoder = text_encoder
        self.selectors = selectors
        self.selection_points = [tuple(p) for p in selection_points]
        self.num_vision_blocks = num_vision_blocks
        self.text_cache = TextStateCache(text_cache_size) \
            if text_cache_size > 0 else None
        params = inspect.signature(vision_encoder.forward_block).parameters
        self._vision_takes_frames = 'num_frames' in params
        self.final_norm_after_selection = final_norm_after_selection
        if final_norm_after_selection and not (
                'final_norm' in params and
                hasattr(vision_encoder, 'apply_final_norm')):
            raise ValueError(
                'final_norm_after_selection=True needs a vision encoder with '
                'a final norm it can defer (forward_block(..., final_norm=) '
                'and apply_final_norm, e.g. RVOSVideoSwin); '
                f'{type(vision_encoder).__name__} has none: set '
                'final_norm_after_selection=False.')

    def _needs_grad(self) -> bool:
        modules = (self.vision_encoder, self.text_encoder, self.selectors)
        return torch.is_grad_enabled() and any(
            p.requires_grad for m in modules for p in m.parameters())

    def _cache_usable(self) -> bool:
        return (self.text_cache is not None and not self.selection_points
                and not any(p.requires_grad
                            for p in self.text_encoder.parameters()))

    def __call__(self, frames: Tensor, texts: List[List[str]],
                 condition: Tensor, allow_empty: bool = False
                 ) -> Tuple[Tensor, Tensor, Tensor, tuple]:
        """Encode a clip and its expressions.

        Args:
            frames (Tensor): ``(B, T, 3, H, W)`` normalised frames.
            texts (list[list[str]]): ``B`` lists of ``E`` expressions.
            condition (Tensor): Bool ``(B, E)`` expressions whose selected
                visual tokens amplify the shared video features.
            allow_empty (bool): Let the text encoder tokenise ``''``.

        Returns:
            tuple: visual tokens ``(B, T, Nv, Cv)``, text tokens
            ``(B, E, L, Cz)``, text mask ``(B, E, L)``, token grid ``(h, w)``.
        """
        B, T = frames.shape[:2]
        E = len(texts[0])
        flat = [t for row in texts for t in row]
        h: Optional[Tensor]
        if self._cache_usable():
            h, tmask = self.text_cache(self.text_encoder, flat)
            attn, num_text_blocks = None, 0
        else:
            tokens = self.text_encoder.tokenize(
                flat, allow_empty=True) if allow_empty else \
                self.text_encoder.tokenize(flat)
            attn = tokens['attention_mask']
            tmask = attn.bool()
            num_text_blocks = self.text_encoder.num_blocks
        tmask = tmask.reshape(B, E, -1)
        with torch.set_grad_enabled(self._needs_grad()):
            if attn is not None:
                h = self.text_encoder.embed(tokens)
            x = self.vision_encoder.stem(frames.flatten(0, 1))
            vi = ti = 0
            points = list(self.selection_points) + [
                (self.num_vision_blocks, num_text_blocks)]
            for k, (vb, tb) in enumerate(points):
                while vi < vb:
                    x = self._vision_block(vi, x, T)
                    vi += 1
                while ti < tb:
                    h = self.text_encoder.forward_block(ti, h, attn)
                    ti += 1
                if k < len(self.selectors):
                    hh, ww = x.shape[-2:]
                    v, z = self.selectors[k](
                        tokens_to_grid(x, B, T),
                        h.reshape(B, E, *h.shape[1:]), tmask, condition)
                    x = grid_to_maps(v, hh, ww)
                    h = z.reshape(B * E, *z.shape[2:])
            if self._deferred_norm():
                x = self.vision_encoder.apply_final_norm(x)
        hh, ww = x.shape[-2:]
        return (tokens_to_grid(x, B, T), h.reshape(B, E, *h.shape[1:]), tmask,
                (hh, ww))

    def _deferred_norm(self) -> bool:
        """True when the final norm waits for the selection after the last
        block (released code)."""
        return (self.final_norm_after_selection and
                self.num_vision_blocks == len(
                    self.vision_encoder.block_channels))

    def _vision_block(self, i: int, x: Tensor, T: int) -> Tensor:
        kwargs = {}
        if self._vision_takes_frames:
            kwargs['num_frames'] = T
        if self._deferred_norm() and i == self.num_vision_blocks - 1:
            kwargs['final_norm'] = False
        return self.vision_encoder.forward_block(i, x, **kwargs)
