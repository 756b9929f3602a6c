"""Vision-language similarity maps and their calibration (WSRVOS Sec. 3.4).

``s_t = v_t F'_Z^T`` (paper: a matrix product; released code: cosine). The
levers of WSRVOS_PITFALLS.md against the full-frame fixed point are here as
switches: per-frame standardisation and a learnable scale/bias, and the
"presence" calibration used by the cross-video presence contrast.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS

SIMILARITY_MODES = ('dot', 'cosine')


def similarity_maps(visual: Tensor, text: Tensor, mode: str = 'dot') -> Tensor:
    """Sec. 3.4: ``s_t = v_t F'_Z^T`` for every frame.

    Args:
        visual (Tensor): ``(B, T, Nv, D)`` refined visual tokens.
        text (Tensor): ``(B, E, D)`` refined expression features.
        mode (str): ``'dot'`` (the printed matrix product) or ``'cosine'``
            (released code).

    Returns:
        Tensor: ``(B, T, Nv, E)``.
    """
    if mode not in SIMILARITY_MODES:
        raise ValueError(f'mode must be one of {SIMILARITY_MODES}, '
                         f'got {mode!r}')
    if mode == 'cosine':
        visual = F.normalize(visual, dim=-1)
        text = F.normalize(text, dim=-1)
    return visual @ text[:, None].transpose(-1, -2)


def standardize_maps(sim: Tensor, eps: float = 1e-5) -> Tensor:
    """Lever: standardise each map over its tokens, ``(s - mean) / std``.

    Args:
        sim (Tensor): ``(B, T, Nv, E)``.
        eps (float): Added to the std.

    Returns:
        Tensor: Same shape, zero mean and unit std over ``Nv`` per map.
    """
    mean = sim.mean(2, keepdim=True)
    std = sim.std(2, keepdim=True, unbiased=False)
    return (sim - mean) / (std + eps)


@MODELS.register_module()
class WSRVOSSimilarityCalibration(BaseModule):
    """Maps raw similarities to the logits used by every loss and at test.

    Default (paper): identity. Levers: ``standardize`` per frame and
    ``learnable_scale_bias`` (``a * s + b``, a temperature and a bias).

    Args:
        standardize (bool): Standardise each map over its tokens.
        learnable_scale_bias (bool): Learn ``a`` and ``b``.
        init_scale (float): Initial ``a``.
        init_bias (float): Initial ``b``.
    """

    def __init__(self,
                 standardize: bool = False,
                 learnable_scale_bias: bool = False,
                 init_scale: float = 1.0,
                 init_bias: float = 0.0,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.standardize = standardize
        self.learnable_scale_bias = learnable_scale_bias
        if learnable_scale_bias:
            self.scale = nn.Parameter(torch.tensor(float(init_scale)))
            self.bias = nn.Parameter(torch.tensor(float(init_bias)))

    def forward(self, sim: Tensor) -> Tensor:
        """Args: sim ``(B, T, Nv, E)``. Returns: calibrated, same shape."""
        if self.standardize:
            sim = standardize_maps(sim)
        if self.learnable_scale_bias:
            sim = sim * self.scale + self.bias
        return sim


def topk_mean(raw_sim: Tensor, k: int) -> Tensor:
    """Lever: mean of the ``k`` largest similarities of each map.

    With ``k = 1`` this is the max. A MIL bag score from the max only pushes
    the single best token of the referent up, so the learned map covers a
    point; the mean of the top ``k`` (``k`` ~ the referent's size in tokens)
    pushes the referent's extent up (WSRVOS_PITFALLS.md: "the mask extent is
    what holds J&F down").

    Args:
        raw_sim (Tensor): ``(*, Nv)``.
        k (int): Tokens averaged (clipped to ``Nv``).

    Returns:
        Tensor: ``(*)``.
    """
    if k < 1:
        raise ValueError(f'k must be >= 1, got {k}')
    k = min(k, raw_sim.shape[-1])
    return raw_sim.topk(k, dim=-1).values.mean(-1)


def presence_logits(raw_sim: Tensor, scale: Tensor, bias: Tensor,
                    topk: int = 1) -> Tensor:
    """Lever: frame-level presence logit ``a * pool_j s_j + b``.

    Args:
        raw_sim (Tensor): Raw similarity maps ``(*, Nv)``.
        scale, bias (Tensor): Learned scalars ``a`` and ``b``.
        topk (int): Pooling over tokens: 1 = the max (WSRVOS_PITFALLS.md),
            k > 1 = the mean of the k largest (:func:`topk_mean`).

    Returns:
        Tensor: ``(*)``.
    """
    return topk_mean(raw_sim, topk) * scale + bias


@MODELS.register_module()
class WSRVOSPresenceHead(BaseModule):
    """Two learned scalars shared by the presence contrast and its masks.

    ``present_t = sigmoid(a * max_j s_tj + b)``; with presence pseudo-masks
    (and presence inference) a token j is foreground when
    ``sigmoid(a * s_tj + b) > 0.5``.

    Args:
        init_scale (float): Initial ``a``.
        init_bias (float): Initial ``b``.
        topk (int): Frame pooling over tokens: 1 = max (default), k > 1 =
            mean of the k largest similarities (extent lever).
    """

    def __init__(self, init_scale: float = 1.0, init_bias: float = 0.0,
                 topk: int = 1, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if topk < 1:
            raise ValueError(f'topk must be >= 1, got {topk}')
        self.topk = topk
        self.scale = nn.Parameter(torch.tensor(float(init_scale)))
        self.bias = nn.Parameter(torch.tensor(float(init_bias)))

    def frame_logits(self, raw_sim: Tensor) -> Tensor:
        """``(*, Nv) -> (*)`` presence logits."""
        return presence_logits(raw_sim, self.scale, self.bias, self.topk)

    def token_logits(self, raw_sim: Tensor) -> Tensor:
        """``(*, Nv) -> (*, Nv)`` per-token presence logits."""
        return raw_sim * self.scale + self.bias


def presence_contrast_loss(present_logits: Tensor,
                           absent_logits: Tensor) -> Tensor:
    """Lever: BCE "present" on the own video, "absent" on a mismatched one.

    Args:
        present_logits (Tensor): ``(M,)`` presence logits of positives on
            frames of their own video.
        absent_logits (Tensor): ``(K,)`` logits of the same expressions on
            frames of videos that do not contain their referent (may be
            empty).

    Returns:
        Tensor: Scalar, mean of the two BCE terms (the absent term is
        omitted when there is no such pair in the batch).
    """
    loss = F.binary_cross_entropy_with_logits(
        present_logits.float(), torch.ones_like(present_logits.float()))
    if absent_logits.numel() > 0:
        loss = 0.5 * (loss + F.binary_cross_entropy_with_logits(
            absent_logits.float(),
            torch.zeros_like(absent_logits.float())))
    return loss
