"""Supervised RVOS baseline: frozen pretrained encoders + light fusion head.

Frame encoder: ImageNet EfficientNet-Lite0 (frozen). Text encoder:
all-MiniLM-L6-v2 (frozen). Trainable: the text-conditioned FPN mask head.
Trained with per-frame GT masks (BCE + Dice). Both encoders run under
``torch.no_grad()`` and have ``requires_grad=False``, so they receive no
gradient and the optimizer never updates them.
"""
import hashlib
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor

from rvos_plugin.models.heads.rvos_text_fpn_mask_head import upsample_logits
from rvos_plugin.registry import MODELS
from rvos_plugin.structures.rvos_sample import (mask_scores,
                                                set_frame_masks,
                                                stack_frame_masks)


def _sample_name(sample) -> str:
    meta = sample.metainfo
    return f'{meta.get("video_id", "?")}/{meta.get("exp_id", "?")}'


@MODELS.register_module()
class RVOSSupervisedBaseline(BaseModel):
    """Frozen frame + text encoders, trainable fusion and mask head.

    Args:
        backbone (dict): Frame encoder config (block-wise interface of
            docs/data_contract.md §7), e.g. ``RVOSEfficientNetLite``.
        text_encoder (dict): Text encoder config, e.g.
            ``RVOSHFTextEncoder``.
        head (dict): Mask head config, e.g. ``RVOSTextFPNMaskHead``.
        data_preprocessor (dict, optional): ``RVOSDataPreprocessor`` config;
            with EfficientNet-Lite use ``mean=[127.5]*3, std=[127.5]*3``.
        test_cfg (dict, optional): ``mask_thr`` (default 0.5), the sigmoid
            threshold of the predicted masks; ``feat_cache_size`` (default
            2), how many clips' frozen-backbone features are kept in eval
            mode, keyed by a SHA-1 of the input bytes. Test splits list one
            sample per (video, expression), consecutively per video, so the
            frames of a video are encoded once instead of once per
            expression. 0 disables it; ``mask_refinement`` (default
            ``None``), e.g. ``dict(type='PixelAdaptiveRefinement')``: refine
            the probabilities with the frames' colour affinities before the
            threshold (to compare with WSRVOS under the same inference).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 head: dict,
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        head = dict(head)
        head.setdefault('text_dims', self.text_encoder.hidden_size)
        self.head = MODELS.build(head)
        self.train_cfg = train_cfg or {}
        self.test_cfg = dict(mask_thr=0.5, feat_cache_size=2)
        self.test_cfg.update(test_cfg or {})
        refine = self.test_cfg.get('mask_refinement')
        self.mask_refinement = None if refine is None else MODELS.build(refine)
        self._feat_cache: 'OrderedDict[str, tuple]' = OrderedDict()

    # ------------------------------------------------------------ encoders
    def extract_feat(self, inputs: Tensor) -> Sequence[Tensor]:
        """Frame features.

        Args:
            inputs (Tensor): (B, T, 3, H, W) normalised frames.

        Returns:
            tuple[Tensor]: Maps (B*T, C_i, H/s_i, W/s_i) at the backbone's
            ``out_indices``.
        """
        self._check_inputs(inputs)
        frames = inputs.flatten(0, 1)
        cache_size = self.test_cfg.get('feat_cache_size', 0)
        use_cache = (cache_size > 0 and not self.training
                     and self.backbone.frozen)
        if not use_cache:
            self._feat_cache.clear()
            with torch.set_grad_enabled(torch.is_grad_enabled()
                                        and not self.backbone.frozen):
                return self.backbone(frames)
        key = self._input_key(frames)
        if key in self._feat_cache:
            self._feat_cache.move_to_end(key)
            return self._feat_cache[key]
        with torch.no_grad():
            feats = self.backbone(frames)
        self._feat_cache[key] = feats
        while len(self._feat_cache) > cache_size:
            self._feat_cache.popitem(last=False)
        return feats

    @staticmethod
    def _check_inputs(inputs: Tensor) -> None:
        if inputs.dim() != 5 or inputs.shape[2] != 3:
            raise ValueError(
                'RVOSSupervisedBaseline expects inputs (B, T, 3, H, W), got '
                f'{tuple(inputs.shape)}; use RVOSDataPreprocessor.')

    @staticmethod
    def _input_key(frames: Tensor) -> str:
        """Content key of a frame batch (shape, dtype, device, SHA-1)."""
        data = frames.detach().contiguous().cpu().numpy().tobytes()
        return (f'{tuple(frames.shape)}|{frames.dtype}|{frames.device}|'
                f'{hashlib.sha1(data).hexdigest()}')

    def encode_text(self, data_samples: Sequence) -> Dict[str, Tensor]:
        """Encode the expression of every sample.

        Returns:
            dict: ``hidden`` (B, L, C_t), ``mask`` (B, L), ``pooled``
            (B, C_t).
        """
        texts = []
        for sample in data_samples:
            text = sample.metainfo.get('expression')
            if not isinstance(text, str) or not text.strip():
                raise ValueError(
                    f'sample {_sample_name(sample)} has no usable '
                    f'"expression" ({text!r}); the dataset must provide a '
                    'non-empty referring expression per sample.')
            texts.append(text)
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.text_encoder.frozen):
            return self.text_encoder(texts)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: Optional[Sequence] = None) -> Tensor:
        """Mask logits at the (padded) input size.

        Args:
            inputs (Tensor): (B, T, 3, H, W).
            data_samples (Sequence[TrackDataSample]): B samples (their
                ``expression`` metainfo is read).

        Returns:
            Tensor: (B, T, H, W) logits.
        """
        if data_samples is None:
            raise ValueError('RVOSSupervisedBaseline needs data_samples '
                             'carrying the referring expressions.')
        self._check_inputs(inputs)
        b, t, _, h, w = inputs.shape
        if len(data_samples) != b:
            raise ValueError(
                f'{len(data_samples)} data samples for a batch of {b} clips.')
        feats = self.extract_feat(inputs)
        text = self.encode_text(data_samples)
        logits = self.head(feats, text, num_frames=t)
        logits = upsample_logits(logits, (h, w))
        return logits.view(b, t, h, w)

    # --------------------------------------------------------------- modes
    def forward(self,
                inputs: Tensor,
                data_samples: Optional[Sequence] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List,
                                               Tensor]:
        """Dispatch to :meth:`loss`, :meth:`predict` or :meth:`_forward`."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode {mode!r}; use loss, predict or '
                           'tensor.')

    def loss(self, inputs: Tensor,
             data_samples: Sequence) -> Dict[str, Tensor]:
        """BCE + Dice of the per-frame masks against ``gt_mask``.

        Args:
            inputs (Tensor): (B, T, 3, H, W).
            data_samples (Sequence[TrackDataSample]): with per-frame
                ``gt_mask`` padded to (H, W) by the data preprocessor.

        Returns:
            dict: Loss terms.
        """
        logits = self._forward(inputs, data_samples)
        gt = self._stack_gt(data_samples, tuple(logits.shape[1:]))
        return self.head.loss(logits, gt.to(logits.device))

    @staticmethod
    def _stack_gt(data_samples: Sequence, expected: tuple) -> Tensor:
        masks = []
        for sample in data_samples:
            try:
                gt = stack_frame_masks(sample, 'gt_mask')
            except KeyError as err:
                raise KeyError(
                    f'sample {_sample_name(sample)}: {err.args[0]} Training '
                    'needs LoadRVOSMasks in the train pipeline.') from None
            except RuntimeError as err:
                raise ValueError(
                    f'sample {_sample_name(sample)}: gt_mask sizes differ '
                    f'between frames ({err}); every frame mask must match '
                    'its frame (resize masks with the frames).') from None
            if tuple(gt.shape) != expected:
                raise ValueError(
                    f'sample {_sample_name(sample)}: gt_mask stack '
                    f'{tuple(gt.shape)} does not match the (T, H, W) of the '
                    f'padded frames {expected}; resize masks with the frames '
                    '(RVOSResize after LoadRVOSMasks in training) and pad '
                    'with RVOSDataPreprocessor.')
            masks.append(gt)
        return torch.stack(masks)

    def predict(self, inputs: Tensor, data_samples: Sequence) -> List:
        """Binary masks per frame at the original resolution.

        Logits are cropped to ``img_shape`` (un-padding), resized to
        ``ori_shape`` and thresholded at ``test_cfg.mask_thr``.

        Args:
            inputs (Tensor): (B, T, 3, H, W).
            data_samples (Sequence[TrackDataSample]): B samples.

        Returns:
            list[TrackDataSample]: The samples with per-frame ``pred_mask``
            ``PixelData(data=bool (1, H_ori, W_ori))``, its metainfo
            ``score`` the mean probability inside the mask.
        """
        logits = self._forward(inputs, data_samples)
        thr = self.test_cfg['mask_thr']
        for sample, clip, frames in zip(data_samples, logits, inputs):
            meta = sample.metainfo
            img_h, img_w = meta.get('img_shape', clip.shape[-2:])[:2]
            ori_h, ori_w = meta.get('ori_shape', (img_h, img_w))[:2]
            clip = clip.unsqueeze(1).float()  # T,1,H_pad,W_pad logits
            if self.mask_refinement is not None:  # refined probabilities
                clip = self.mask_refinement(frames,
                                            clip.sigmoid()).logit(1e-6)
            clip = F.interpolate(
                clip[..., :img_h, :img_w], size=(ori_h, ori_w),
                mode='bilinear', align_corners=False)[:, 0]
            prob = clip.sigmoid()
            mask = prob > thr
            set_frame_masks(sample, 'pred_mask', mask, mask_scores(prob, mask))
        return list(data_samples)
