"""Vision-language similarity maps and their calibration (WSRVOS Sec. 3.4).

``s_t = v_t F'_Z^T`` (paper: a matrix product; released code: cosine). The
levers of WSRVOS_PITFALLS.md against the full-frame fixed point are here as
switches: per-frame standardisation and a learnable scale/bias (the presence
contrast lever lives in ``presence.py``).
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
