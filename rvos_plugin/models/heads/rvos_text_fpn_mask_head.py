"""Text-conditioned FPN mask head for referring video segmentation."""
from typing import Dict, Optional, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.models.layers.pixel_word_attention import PixelWordAttention
from rvos_plugin.models.layers.temporal_conv import TemporalConvBlock
from rvos_plugin.models.layers.text_film import TextFiLM
from rvos_plugin.registry import MODELS


def conv_gn_relu(in_channels: int, out_channels: int, kernel_size: int,
                 num_groups: int) -> nn.Sequential:
    """Conv2d (no bias) + GroupNorm + ReLU, 'same' padding."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size,
                  padding=kernel_size // 2, bias=False),
        nn.GroupNorm(num_groups, out_channels), nn.ReLU(inplace=True))


@MODELS.register_module()
class RVOSTextFPNMaskHead(BaseModule):
    """Fuse multi-scale frame features with an expression, predict masks.

    Per level ``i``: 1x1 lateral conv -> text FiLM (sentence embedding) ->
    pixel-to-word cross-attention on ``attn_levels``. Then a top-down FPN
    (upsample + add + 3x3 conv), a residual spatio-temporal conv on
    ``temporal_levels`` (motion cues across the T frames), a last FiLM and a
    small conv mask predictor at the finest level's stride.

    The head owns its losses (mmdet convention): a sigmoid BCE and a Dice
    loss on logits upsampled to the (padded) input size.

    Args:
        in_channels (Sequence[int]): Channels of the backbone maps, finest
            first.
        text_dims (int): Text-encoder hidden size.
        channels (int): Width of the head.
        attn_levels (Sequence[int]): Levels with pixel-word attention.
        num_heads (int): Attention heads.
        temporal_levels (Sequence[int]): Levels with a spatio-temporal conv
            block after the top-down merge. The finest level is left out by
            default: a 3x3x3 conv there costs more than the rest of the head.
        temporal_kernel (int): Temporal kernel size.
        num_groups (int): GroupNorm groups.
        dice_per_clip (bool): Dice over the whole clip of a sample (all T
            frames as one map) instead of per frame; per-clip Dice stays
            informative on frames where the object is absent.
        loss_bce (dict): Config of the BCE loss.
        loss_dice (dict): Config of the Dice loss.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (24, 40, 112, 320),
                 text_dims: int = 384,
                 channels: int = 48,
                 attn_levels: Sequence[int] = (2, 3),
                 num_heads: int = 4,
                 temporal_levels: Sequence[int] = (1, 2, 3),
                 temporal_kernel: int = 3,
                 num_groups: int = 8,
                 dice_per_clip: bool = True,
                 loss_bce: dict = dict(
                     type='RVOSSigmoidBCELoss', loss_weight=1.0),
                 loss_dice: dict = dict(
                     type='RVOSDiceLoss', naive_dice=True, loss_weight=1.0),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        num_levels = len(in_channels)
        for name, levels in (('attn_levels', attn_levels),
                             ('temporal_levels', temporal_levels)):
            for level in levels:
                if not 0 <= level < num_levels:
                    raise ValueError(
                        f'{name} {tuple(levels)} out of range for '
                        f'{num_levels} input levels.')
        self.num_levels = num_levels
        self.attn_levels = tuple(attn_levels)
        self.temporal_levels = tuple(temporal_levels)
        self.dice_per_clip = dice_per_clip
        self.laterals = nn.ModuleList(
            conv_gn_relu(c, channels, 1, num_groups) for c in in_channels)
        self.films = nn.ModuleList(
            TextFiLM(text_dims, channels) for _ in in_channels)
        self.attns = nn.ModuleDict({
            str(level): PixelWordAttention(channels, text_dims, num_heads)
            for level in self.attn_levels
        })
        self.smooths = nn.ModuleList(
            conv_gn_relu(channels, channels, 3, num_groups)
            for _ in range(num_levels - 1))
        self.temporals = nn.ModuleDict({
            str(level): TemporalConvBlock(channels, temporal_kernel,
                                          num_groups)
            for level in self.temporal_levels
        })
        self.out_film = TextFiLM(text_dims, channels)
        self.predictor = nn.Sequential(
            conv_gn_relu(channels, channels, 3, num_groups),
            nn.Conv2d(channels, 1, 1))
        self.loss_bce = MODELS.build(loss_bce)
        self.loss_dice = MODELS.build(loss_dice)

    def forward(self, feats: Sequence[Tensor], text: Dict[str, Tensor],
                num_frames: int) -> Tensor:
        """Predict mask logits at the finest level.

        Args:
            feats (Sequence[Tensor]): ``num_levels`` maps (B*T, C_i, h_i,
                w_i), finest first, frames of a clip contiguous.
            text (dict): ``hidden`` (B, L, C_t), ``mask`` (B, L) bool,
                ``pooled`` (B, C_t), one expression per clip.
            num_frames (int): T.

        Returns:
            Tensor: (B*T, 1, h_0, w_0) mask logits.
        """
        if len(feats) != self.num_levels:
            raise ValueError(
                f'RVOSTextFPNMaskHead expects {self.num_levels} maps, got '
                f'{len(feats)}; match backbone.out_indices and in_channels.')
        pooled = text['pooled'].repeat_interleave(num_frames, 0)
        words = text['hidden'].repeat_interleave(num_frames, 0)
        word_mask = text['mask'].repeat_interleave(num_frames, 0)
        laterals = []
        for i, feat in enumerate(feats):
            x = self.films[i](self.laterals[i](feat), pooled)
            if i in self.attn_levels:
                x = self.attns[str(i)](x, words, word_mask)
            laterals.append(x)
        x = self._temporal(self.num_levels - 1, laterals[-1], num_frames)
        for i in range(self.num_levels - 2, -1, -1):
            x = laterals[i] + F.interpolate(
                x, size=laterals[i].shape[-2:], mode='bilinear',
                align_corners=False)
            x = self._temporal(i, self.smooths[i](x), num_frames)
        x = self.out_film(x, pooled)
        return self.predictor(x)

    def _temporal(self, level: int, x: Tensor, num_frames: int) -> Tensor:
        if str(level) in self.temporals:
            return self.temporals[str(level)](x, num_frames)
        return x

    def loss(self, logits: Tensor, gt_masks: Tensor) -> Dict[str, Tensor]:
        """BCE + Dice against GT masks at the padded input size.

        Args:
            logits (Tensor): (B, T, H, W) mask logits (already upsampled to
                the padded input size).
            gt_masks (Tensor): (B, T, H, W) binary GT.

        Returns:
            dict: ``loss_mask_bce`` and ``loss_mask_dice``.
        """
        gt = gt_masks.to(logits.dtype)
        loss_bce = self.loss_bce(logits, gt)
        if self.dice_per_clip:
            loss_dice = self.loss_dice(logits.flatten(1), gt.flatten(1))
        else:
            loss_dice = self.loss_dice(
                logits.flatten(0, 1).flatten(1), gt.flatten(0, 1).flatten(1))
        return dict(loss_mask_bce=loss_bce, loss_mask_dice=loss_dice)


def upsample_logits(logits: Tensor, size: Tuple[int, int]) -> Tensor:
    """Bilinearly resize (N, 1, h, w) logits to (N, 1, *size)."""
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(
        logits, size=size, mode='bilinear', align_corners=False)


__all__ = ['RVOSTextFPNMaskHead', 'upsample_logits', 'conv_gn_relu']
