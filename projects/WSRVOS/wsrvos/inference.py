"""WSRVOS inference (paper Sec. 3.7): the query's map, thresholded.

A mixin of :class:`~.wsrvos.WSRVOS` (it reads ``inference_window``,
``test_threshold``, ``test_mode_presence``, ``presence_head``,
``mask_refinement`` and ``_query_features`` of the model).
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from torch import Tensor

from rvos_plugin.structures import mask_scores


class WSRVOSInferenceMixin:
    """``predict`` of WSRVOS: windowed query maps at ``ori_shape``."""

    def _query_probabilities(self, frames: Tensor, data_samples) -> Tuple[
            Tensor, float]:
        """Foreground probabilities at the padded input size, windowed.

        Returns:
            tuple: ``(B, T, H_pad, W_pad)`` probabilities and the threshold.
        """
        B, T = frames.shape[:2]
        H_pad, W_pad = frames.shape[-2:]
        step = self.inference_window or T
        out = []
        for s in range(0, T, step):
            clip = frames[:, s:s + step]
            feats = self._query_features(clip, data_samples)
            if self.test_mode_presence:  # lever: presence logit > 0
                prob = self.presence_head.token_logits(
                    feats['raw_sim'][..., 0]).float().sigmoid()
            else:
                prob = feats['sim'][..., 0].float().sigmoid()
            t = clip.shape[1]
            prob = F.interpolate(prob.reshape(B * t, 1, *feats['grid']),
                                 size=(H_pad, W_pad), mode='bilinear',
                                 align_corners=False)
            if self.mask_refinement is not None:
                prob = self.mask_refinement(clip.flatten(0, 1), prob)
            out.append(prob.reshape(B, t, H_pad, W_pad))
        threshold = 0.5 if self.test_mode_presence else self.test_threshold
        return torch.cat(out, 1), threshold

    def predict(self, inputs: Tensor, data_samples) -> list:
        """Sec. 3.7: threshold the query's map at ``ori_shape``.

        Adds per frame ``pred_mask = PixelData(data=bool (1, H_ori, W_ori))``
        with metainfo ``score``, the mean probability inside the mask.
        """
        self._check_inputs(inputs)
        prob, threshold = self._query_probabilities(inputs, data_samples)
        B, T, H_pad, W_pad = prob.shape
        for b, sample in enumerate(data_samples):
            h, w = sample.metainfo.get('img_shape', (H_pad, W_pad))[:2]
            ori_h, ori_w = sample.metainfo.get('ori_shape', (h, w))[:2]
            p = F.interpolate(prob[b, :, :h, :w][:, None],
                              size=(ori_h, ori_w), mode='bilinear',
                              align_corners=False)[:, 0]
            frames = sample.video_data_samples
            if len(frames) != T:
                raise ValueError(
                    f"sample {sample.metainfo.get('video_id')} has "
                    f'{len(frames)} frame data samples but {T} input frames')
            masks = p > threshold
            scores = mask_scores(p, masks)
            for t, frame in enumerate(frames):
                frame.pred_mask = PixelData(
                    data=masks[t][None], metainfo=dict(score=float(scores[t])))
        return list(data_samples)
