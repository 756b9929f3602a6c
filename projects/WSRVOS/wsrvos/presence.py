"""Lever (in neither the paper nor the released code): the cross-video
presence contrast of WSRVOS_PITFALLS.md, one registered component.

Per frame, a pooled raw similarity of the original expression and its
positives is labelled "present" on its own video and "absent" on a video of
the batch that cannot contain the referent (decided from text annotations
only: the objects' attribute words, else the other sample's expressions).
Two learned scalars ``a``, ``b`` map similarities to presence logits; the
model may reuse them to binarise pseudo-masks and inference maps.
"""
import random
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS
from .similarity import similarity_maps

#: attribute keys whose words decide an "absent" pair (appearance words; a
#: motion-only expression is never declared absent: conservative).
APPEARANCE_KEYS = ('colour', 'shape', 'size')


def _normalise_text(text: str) -> str:
    return ' '.join(text.lower().split())


def expression_may_refer_to(expression: str,
                            objects: List[dict],
                            vocabulary: Optional[Dict[str, list]] = None
                            ) -> bool:
    """Whether a video whose objects have these attributes may contain the
    referent of ``expression`` (text/attribute words only, never masks).

    An object is compatible when, for every appearance key the expression
    mentions a value of (``vocabulary[key]``: all values of the dataset), the
    object's value is among the mentioned ones. Conservative: ``True`` when
    the expression mentions no appearance word.

    Args:
        expression (str): The original expression.
        objects (list[dict]): ``object_attributes`` of the other video.
        vocabulary (dict[str, list], optional): All values of each key in the
            dataset. ``None``: only the values of ``objects``.

    Returns:
        bool: ``False`` only when no object of the video can be the referent.
    """
    words = set(_normalise_text(expression).replace(',', ' ').split())
    said = {}
    for key in APPEARANCE_KEYS:
        if vocabulary is not None:
            vocab = {str(v).lower() for v in vocabulary.get(key, [])}
        else:
            vocab = {str(o[key]).lower() for o in objects if key in o}
        if words & vocab:
            said[key] = words & vocab
    if not said:
        return True
    return any(
        all(str(obj.get(k, '')).lower() in v for k, v in said.items())
        for obj in objects)


def mismatched_pairs(data_samples) -> List[Tuple[int, int]]:
    """(expression sample i, video sample j) pairs whose video j does not
    contain the referent of i: from ``object_attributes`` when the samples
    carry them, else from the other sample's expression texts."""
    pairs = []
    for i, si in enumerate(data_samples):
        expr = _normalise_text(si.metainfo['expression'])
        for j, sj in enumerate(data_samples):
            if i == j or sj.metainfo.get('video_id') == \
                    si.metainfo.get('video_id'):
                continue
            if 'object_attributes' in sj.metainfo:
                if not expression_may_refer_to(
                        expr, sj.metainfo['object_attributes'],
                        sj.metainfo.get('object_vocabulary')):
                    pairs.append((i, j))
                continue
            texts_j = [sj.metainfo['expression']] + list(
                sj.metainfo.get('positive_texts', []))
            if any(expr == _normalise_text(t) or expr in _normalise_text(t)
                   for t in texts_j):
                continue
            pairs.append((i, j))
    return pairs


def topk_mean(raw_sim: Tensor, k: int) -> Tensor:
    """Mean of the ``k`` largest similarities of each map ``(*, Nv) -> (*)``
    (``k = 1``: the max)."""
    if k < 1:
        raise ValueError(f'k must be >= 1, got {k}')
    k = min(k, raw_sim.shape[-1])
    return raw_sim.topk(k, dim=-1).values.mean(-1)


def presence_logits(raw_sim: Tensor, scale: Tensor, bias: Tensor,
                    topk: int = 1) -> Tensor:
    """Frame-level presence logit ``a * pool_j s_j + b``, ``(*, Nv) -> (*)``."""
    return topk_mean(raw_sim, topk) * scale + bias


def presence_contrast_loss(present_logits: Tensor,
                           absent_logits: Tensor) -> Tensor:
    """BCE "present" on the own video, "absent" on a mismatched one.

    Args:
        present_logits (Tensor): ``(M,)``.
        absent_logits (Tensor): ``(K,)`` (may be empty: term omitted).

    Returns:
        Tensor: Scalar, mean of the two BCE terms.
    """
    loss = F.binary_cross_entropy_with_logits(
        present_logits.float(), torch.ones_like(present_logits.float()))
    if absent_logits.numel() > 0:
        loss = 0.5 * (loss + F.binary_cross_entropy_with_logits(
            absent_logits.float(),
            torch.zeros_like(absent_logits.float())))
    return loss


@MODELS.register_module()
class WSRVOSPresenceContrast(BaseModule):
    """The presence contrast: two learned scalars and their loss.

    Args:
        loss_weight (float): Weight of the loss.
        init_scale (float): Initial ``a``.
        init_bias (float): Initial ``b``.
        topk (int): Frame pooling: 1 = max, k > 1 = mean of the k largest.
        absent_forward (str): ``'reuse'``: score video j's tokens of this
            forward with expression i's texts; ``'recompute'``: a forward of
            video j conditioned on expression i (one partner per i).
        similarity (str): ``similarity_maps`` mode (the model passes its own).
    """

    def __init__(self, loss_weight: float = 1.0, init_scale: float = 1.0,
                 init_bias: float = 0.0, topk: int = 1,
                 absent_forward: str = 'reuse', similarity: str = 'dot',
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if topk < 1:
            raise ValueError(f'topk must be >= 1, got {topk}')
        if absent_forward not in ('reuse', 'recompute'):
            raise ValueError("presence_contrast.absent_forward must be "
                             f"'reuse' or 'recompute', got {absent_forward!r}")
        self.loss_weight = loss_weight
        self.topk = topk
        self.absent_forward = absent_forward
        self.similarity = similarity
        self.scale = nn.Parameter(torch.tensor(float(init_scale)))
        self.bias = nn.Parameter(torch.tensor(float(init_bias)))

    def frame_logits(self, raw_sim: Tensor) -> Tensor:
        """``(*, Nv) -> (*)`` presence logits."""
        return presence_logits(raw_sim, self.scale, self.bias, self.topk)

    def token_logits(self, raw_sim: Tensor) -> Tensor:
        """``(*, Nv) -> (*, Nv)`` per-token presence logits."""
        return raw_sim * self.scale + self.bias

    def loss(self, feats: dict, slots: dict, data_samples, pos_raw: Tensor,
             inputs: Tensor, forward_features: Callable) -> Tensor:
        """Weighted presence contrast.

        Args:
            feats (dict): The model's features (``visual`` (B, T, Nv, D),
                ``text`` (B, E, D); ``orig_raw``/``orig_text`` when the
                original expression is a slot).
            slots (dict): ``expression_slots`` output.
            data_samples (list): The batch.
            pos_raw (Tensor): Raw positive maps ``(B, T, P, Nv)``.
            inputs (Tensor): Frames ``(B, T, 3, H, W)`` ('recompute').
            forward_features (callable): The model's
                ``forward_features(frames, texts, condition)``.

        Returns:
            Tensor: Scalar.
        """
        present, pos_text = pos_raw, feats['text'].gather(
            1, slots['pos_index'][..., None].expand(-1, -1,
                                                    feats['text'].shape[-1]))
        if 'orig_raw' in feats:
            present = torch.cat([feats['orig_raw'][:, :, None], pos_raw], 2)
            pos_text = torch.cat([feats['orig_text'][:, None], pos_text], 1)
        present = self.frame_logits(present)  # (B, T, P')
        pairs = mismatched_pairs(data_samples)
        if not pairs:
            absent = present.new_zeros(0)
        elif self.absent_forward == 'reuse':
            rows = torch.tensor([i for i, _ in pairs], device=pos_raw.device)
            cols = torch.tensor([j for _, j in pairs], device=pos_raw.device)
            raw = similarity_maps(feats['visual'][cols], pos_text[rows],
                                  self.similarity)  # (K, T, Nv, P')
            absent = self.frame_logits(raw.transpose(2, 3))
        else:
            partners = {}
            for i, j in pairs:
                partners.setdefault(i, []).append(j)
            rows = sorted(partners)
            cols = [random.choice(partners[i]) for i in rows]
            texts = [[data_samples[i].metainfo['expression']] +
                     [slots['texts'][i][k] for k in slots['pos_index'][i]]
                     for i in rows]
            cond = torch.zeros(len(rows), len(texts[0]), dtype=torch.bool,
                               device=present.device)
            cond[:, 0] = True
            other = forward_features(inputs[cols], texts, cond)['raw_sim']
            absent = self.frame_logits(other.permute(0, 1, 3, 2))
        return self.loss_weight * presence_contrast_loss(
            present.flatten(), absent.flatten())
