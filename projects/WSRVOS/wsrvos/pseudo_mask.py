"""Positive-prediction fusion into binary pseudo-masks (WSRVOS Sec. 3.5).

Eq. (4): ``s_final = sum_k s^k c^k / sum_k c^k`` over the P positives, then
``m = sigmoid(s_final) > theta``. Variant PPF-single (Tab. 8): the map of one
randomly chosen positive per frame. Lever: ``presence`` binarisation (token
foreground when its presence logit ``a * s_final + b`` is positive).

Eq. (6) ranks the pseudo-masks M. The fusion also returns M with a
straight-through gradient (:func:`straight_through_mask`): its value is the
binary M, its gradient that of the soft map it was thresholded from.
"""
from typing import Callable, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS, TASK_UTILS
from rvos_plugin.utils.sample_rng import sample_rng


def fuse_positive_predictions(sim: Tensor, confidences: Tensor,
                              valid: Optional[Tensor] = None) -> Tensor:
    """Eq. (4): confidence-weighted mean of the positives' similarity maps.

    Args:
        sim (Tensor): ``(*, P, N)`` maps of the P positives.
        confidences (Tensor): c_k of Eq. (1), ``(*, P)``.
        valid (Tensor, optional): Bool ``(*, P)``; padded positives get
            weight 0.

    Returns:
        Tensor: ``s_final`` ``(*, N)``.
    """
    c = confidences.to(sim.dtype)
    if valid is not None:
        c = c * valid.to(sim.dtype)
    return (sim * c.unsqueeze(-1)).sum(-2) / c.sum(-1, keepdim=True).clamp(
        min=1e-6)


def straight_through_mask(binary: Tensor, soft: Tensor) -> Tensor:
    """``binary`` in the forward, ``d soft`` in the backward.

    Args:
        binary (Tensor): {0, 1} mask (no gradient).
        soft (Tensor): The probabilities it was thresholded from, same shape.

    Returns:
        Tensor: ``binary + soft - stopgrad(soft)``.
    """
    return binary.to(soft.dtype) + (soft - soft.detach())


def _single_choice_noise(B: int, T: int, P: int, device,
                         sample_ids: Optional[Sequence]) -> Tensor:
    """(B, T, P) uniform noise; per-sample generators when every sample has
    one (``rvos_plugin.utils.sample_rng``), else the global generator."""
    rngs = [sample_rng(i, 'wsrvos-ppf-single') for i in (sample_ids or [])]
    if len(rngs) != B or any(r is None for r in rngs):
        return torch.rand(B, T, P, device=device)
    return torch.tensor([[[r.random() for _ in range(P)] for _ in range(T)]
                         for r in rngs], device=device)


@TASK_UTILS.register_module()
@MODELS.register_module()
class WSRVOSPositivePredictionFusion(BaseModule):
    """Builds the binary pseudo-masks of Eq. (4)/(5) (no gradient).

    Args:
        mode (str): ``'fused'`` Eq. (4) (paper) or ``'single'`` (PPF-single,
            Tab. 8: one random positive per frame).
        threshold (float): theta (Sec. 3.5 reuses Sec. 3.4's 0.4).
        binarize (str): ``'threshold'`` (paper) or ``'presence'`` (lever:
            token foreground when ``presence_fn(s_final) > 0``).
    """

    def __init__(self,
                 mode: str = 'fused',
                 threshold: float = 0.4,
                 binarize: str = 'threshold',
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if mode not in ('fused', 'single'):
            raise ValueError(f"mode must be 'fused' or 'single', got {mode!r}")
        if binarize not in ('threshold', 'presence'):
            raise ValueError("binarize must be 'threshold' or 'presence', "
                             f'got {binarize!r}')
        self.mode = mode
        self.threshold = threshold
        self.binarize = binarize

    def forward(self,
                sim: Tensor,
                confidences: Tensor,
                valid: Tensor,
                presence_fn: Optional[Callable[[Tensor], Tensor]] = None,
                raw_sim: Optional[Tensor] = None,
                sample_ids: Optional[Sequence] = None) -> dict:
        """Pseudo-masks per frame.

        Args:
            sim (Tensor): Calibrated positive maps ``(B, T, P, N)``.
            confidences (Tensor): ``(B, P)``.
            valid (Tensor): Bool ``(B, P)``.
            presence_fn (callable, optional): Token presence logits, needed
                for ``binarize='presence'``.
            raw_sim (Tensor, optional): Raw positive maps ``(B, T, P, N)``
                fused for the presence binarisation.
            sample_ids (Sequence, optional): The B samples' ``sample_idx``:
                ``'single'`` draws each sample's positives from its own
                generator (``rvos_plugin.utils.sample_rng``), the same on
                any split of the batch over ranks.

        Returns:
            dict: ``mask`` float {0, 1} ``(B, T, N)`` without gradient (the
            target of Eq. (5)) and ``mask_st`` the same values with the
            straight-through gradient of the soft fused map (Eq. (6)).
        """
        B, T, P, _ = sim.shape
        conf = confidences[:, None].expand(B, T, P)
        val = valid[:, None].expand(B, T, P)
        if self.mode == 'single':
            noise = _single_choice_noise(B, T, P, sim.device, sample_ids)
            noise = noise.masked_fill(~val, -1)
            pick = noise.argmax(-1, keepdim=True)
            val = torch.zeros_like(val).scatter_(-1, pick, True)
            conf = torch.ones_like(conf)
        if self.binarize == 'presence':
            if presence_fn is None or raw_sim is None:
                raise ValueError("binarize='presence' needs presence_fn and "
                                 'raw_sim (enable model.presence_contrast).')
            fused = fuse_positive_predictions(raw_sim.float(), conf.float(),
                                              val)
            logits = presence_fn(fused)
            binary = (logits.detach() > 0).float()
        else:
            logits = fuse_positive_predictions(sim.float(), conf.float(), val)
            binary = (logits.detach().sigmoid() > self.threshold).float()
        return dict(mask=binary,
                    mask_st=straight_through_mask(binary, logits.sigmoid()))
