"""SAM2 behind one module: frozen image encoder, trainable mask decoder,
language prompt injected as an extra sparse prompt embedding.

Built through the ``sam2`` package (imported lazily). Two ways to build:

* ``config='configs/sam2.1/sam2.1_hiera_l.yaml'`` (a hydra config *name* of the
  package) + ``checkpoint='<path>/sam2.1_hiera_large.pt'`` via
  ``sam2.build_sam.build_sam2``;
* ``config=dict(...)`` -- a full model config in the package's hydra format
  (``_target_`` keys), e.g. :func:`tiny_sam2_config` for CPU tests.

The CPU recipe's encoder and prompt-head options subclass it
(``cpu_recipe/sam2_adapter.py``) through :meth:`ReVIOsASAM2._image_encoder`,
:meth:`ReVIOsASAM2._forward_image`, :meth:`ReVIOsASAM2.decode` and
:meth:`ReVIOsASAM2.segment_frames`.
"""
import copy
import os
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from rvos_plugin.weights.sam2_checkpoint import resolve_sam2_config

SAM2_CKPT_HINT = (
    'Download a SAM2 checkpoint from '
    'https://github.com/facebookresearch/sam2#download-checkpoints and put '
    'it at that path: InterRVOS/Sa2VA use SAM2.0 sam2_hiera_large.pt '
    '(https://dl.fbaipublicfiles.com/segment_anything_2/072824/'
    'sam2_hiera_large.pt, checkpoints/sam2_hiera_large.pt, with '
    "model.sam2.config='auto' or 'configs/sam2/sam2_hiera_l.yaml'); the "
    'configs default to SAM2.1 sam2.1_hiera_large.pt (.../092824/'
    'sam2.1_hiera_large.pt, checkpoints/sam2.1_hiera_large.pt). Set '
    'model.sam2.checkpoint=None only for random-weight tests '
    '(allow_random_init=True). See docs/model_zoo.md.')
#: SAM2 buffers that must stay fp32 when the module is cast to bf16/fp16
#: (``model.bfloat16()``, DeepSpeed bf16): the random Fourier matrix of the
#: prompt encoder's positional encoding (``sin/cos(2 pi x G)`` of the dense
#: image PE is wrong in bf16). Relative to ``ReVIOsASAM2.sam``.
FP32_BUFFERS = ('sam_prompt_encoder.pe_layer.'
                'positional_encoding_gaussian_matrix',)
#: SAM2 layers whose floating inputs follow their weight dtype.
_WEIGHTED_LAYERS = (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d,
                    torch.nn.LayerNorm)


def hydra_override_list(overrides: Union[Sequence[str], dict, None]
                        ) -> List[str]:
    """Hydra overrides of a SAM2 config name, as ``build_sam2`` takes them.

    Args:
        overrides (list[str] | dict | None): ready override strings
            (``'++model.image_size=512'``) or a nested dict under ``model``
            (``dict(image_size=512, image_encoder=dict(trunk=dict(
            stages=[1, 1, 2, 1])))``), which ``--cfg-options`` can set key
            by key (``model.sam2.hydra_overrides.image_size=512``).

    Returns:
        list[str]: ``++model.<dotted key>=<value>`` strings.
    """
    if overrides is None:
        return []
    if not isinstance(overrides, dict):
        return [str(o) for o in overrides]
    out = []

    def walk(prefix: str, node) -> None:
        for key, value in node.items():
            path = f'{prefix}.{key}'
            if isinstance(value, dict):
                walk(path, value)
            elif isinstance(value, (list, tuple)):
                out.append(f'++{path}=[{",".join(str(v) for v in value)}]')
            else:
                out.append(f'++{path}={value}')

    walk('model', overrides)
    return out


def _cast_input_to_weight(module: torch.nn.Module, args: tuple):
    """Forward pre-hook: floating inputs take the layer's weight dtype."""
    weight = getattr(module, 'weight', None)
    if weight is None or not args or not torch.is_tensor(args[0]):
        return None
    x = args[0]
    if x.is_floating_point() and x.dtype != weight.dtype:
        return (x.to(weight.dtype), ) + tuple(args[1:])
    return None


def follow_weight_dtype(model: torch.nn.Module) -> int:
    """Make ``model`` run with bf16/fp16 weights without autocast.

    SAM2 is written for fp32 weights (under autocast on GPUs): its video
    code builds fp32 intermediates (sine encodings of object-pointer
    positions, mask maps, object-score gates) and feeds them to its layers.
    After ``model.bfloat16()`` (what a DeepSpeed bf16 engine does) those
    layers would get fp32 inputs; CPU autocast cannot help (its fp32
    LayerNorm rejects bf16 weights). A pre-hook on every Linear / Conv /
    LayerNorm casts a floating input to the layer's weight dtype -- a no-op
    when they already agree (fp32 weights, or bf16 under autocast).

    Returns:
        int: number of hooked layers.
    """
    count = 0
    for module in model.modules():
        if isinstance(module, _WEIGHTED_LAYERS) or \
                type(module).__name__ == 'LayerNorm2d':
            module.register_forward_pre_hook(_cast_input_to_weight)
            count += 1
    return count


def tiny_sam2_config(image_size: int = 128,
                     hidden_dim: int = 64,
                     mem_dim: int = 32,
                     embed_dim: int = 16,
                     num_maskmem: int = 3) -> dict:
    """A small-Hiera SAM2 config in the ``sam2`` package format (CPU runs).

    The Hiera trunk (1 block per stage), FPN, memory modules and mask decoder
    all shrink; ``image_size / 16`` must equal the RoPE ``feat_sizes``.
    """
    feat = image_size // 16
    chans = [embed_dim * 8, embed_dim * 4, embed_dim * 2, embed_dim]
    rope = dict(
        _target_='sam2.modeling.sam.transformer.RoPEAttention',
        rope_theta=10000.0, feat_sizes=[feat, feat], embedding_dim=hidden_dim,
        num_heads=1, downsample_rate=1, dropout=0.1)
    return dict(
        _target_='sam2.modeling.sam2_base.SAM2Base',
        image_encoder=dict(
            _target_='sam2.modeling.backbones.image_encoder.ImageEncoder',
            scalp=1,
            trunk=dict(
                _target_='sam2.modeling.backbones.hieradet.Hiera',
                embed_dim=embed_dim, num_heads=1, stages=[1, 1, 2, 1],
                global_att_blocks=[3], window_spec=[4, 4, 4, 2],
                window_pos_embed_bkg_spatial_size=[4, 4]),
            neck=dict(
                _target_='sam2.modeling.backbones.image_encoder.FpnNeck',
                position_encoding=dict(
                    _target_='sam2.modeling.position_encoding.'
                    'PositionEmbeddingSine',
                    num_pos_feats=hidden_dim, normalize=True, scale=None,
                    temperature=10000),
                d_model=hidden_dim, backbone_channel_list=chans,
                fpn_top_down_levels=[2, 3], fpn_interp_model='nearest')),
        memory_attention=dict(
            _target_='sam2.modeling.memory_attention.MemoryAttention',
            d_model=hidden_dim, pos_enc_at_input=True, num_layers=1,
            layer=dict(
                _target_='sam2.modeling.memory_attention.MemoryAttentionLayer',
                activation='relu', dim_feedforward=2 * hidden_dim,
                dropout=0.1, pos_enc_at_attn=False, d_model=hidden_dim,
                pos_enc_at_cross_attn_keys=True,
                pos_enc_at_cross_attn_queries=False,
                self_attention=dict(rope),
                cross_attention=dict(rope, rope_k_repeat=True,
                                     kv_in_dim=mem_dim))),
        memory_encoder=dict(
            _target_='sam2.modeling.memory_encoder.MemoryEncoder',
            out_dim=mem_dim, in_dim=hidden_dim,
            position_encoding=dict(
                _target_='sam2.modeling.position_encoding.'
                'PositionEmbeddingSine',
                num_pos_feats=mem_dim, normalize=True, scale=None,
                temperature=10000),
            mask_downsampler=dict(
                _target_='sam2.modeling.memory_encoder.MaskDownSampler',
                kernel_size=3, stride=2, padding=1, embed_dim=hidden_dim),
            fuser=dict(
                _target_='sam2.modeling.memory_encoder.Fuser',
                layer=dict(
                    _target_='sam2.modeling.memory_encoder.CXBlock',
                    dim=hidden_dim, kernel_size=7, padding=3,
                    layer_scale_init_value=1e-6, use_dwconv=True),
                num_layers=1)),
        num_maskmem=num_maskmem, image_size=image_size,
        sigmoid_scale_for_mem_enc=20.0, sigmoid_bias_for_mem_enc=-10.0,
        use_mask_input_as_output_without_sam=True,
        directly_add_no_mem_embed=True, no_obj_embed_spatial=True,
        use_high_res_features_in_sam=True, multimask_output_in_sam=True,
        iou_prediction_use_sigmoid=True, use_obj_ptrs_in_encoder=True,
        add_tpos_enc_to_obj_ptrs=True, proj_tpos_enc_in_obj_ptrs=True,
        use_signed_tpos_enc_to_obj_ptrs=True,
        only_obj_ptrs_in_the_past_for_eval=True, pred_obj_scores=True,
        pred_obj_scores_mlp=True, fixed_no_obj_ptr=True,
        multimask_output_for_tracking=True,
        use_multimask_token_for_obj_ptr=True, multimask_min_pt_num=0,
        multimask_max_pt_num=1, use_mlp_for_obj_ptr_proj=True,
        compile_image_encoder=False)


class ReVIOsASAM2(BaseModule):
    """SAM2 with a language (seg-token) prompt.

    Args:
        config (str | dict): hydra config name inside the ``sam2`` package
            (``'configs/sam2.1/sam2.1_hiera_l.yaml'``; checked against the
            checkpoint's family), ``'auto'`` (SAM2.0 or SAM2.1 and the size
            read from the checkpoint), a model config dict
            with ``_target_`` keys, or ``dict(tiny=dict(...))`` = the kwargs
            of :func:`tiny_sam2_config`.
        checkpoint (str, optional): local SAM2 checkpoint (``{'model': sd}``).
        allow_random_init (bool): only when True may ``checkpoint`` be None
            (CPU tests / from-scratch toy runs). Default False.
        freeze_image_encoder (bool): paper Sec. 4.1 / App. A.1: frozen.
        hydra_overrides (list[str] | dict): extra hydra overrides for config
            names (strings, or a nested dict under ``model``:
            :func:`hydra_override_list`).
        inference_multimask (bool): in eval mode, :meth:`segment_frames`
            takes SAM2's three multimask outputs and keeps the one with the
            best predicted IoU, as the authors' inference
            (``language_embd_inference``: a prompt without points makes SAM2
            use multimask output). False: SAM2's single-mask output (with
            its dynamic multimask-via-stability fallback). Training always
            decodes the single mask. Default False.
    """

    def __init__(self,
                 config: Union[str, dict],
                 checkpoint: Optional[str] = None,
                 allow_random_init: bool = False,
                 freeze_image_encoder: bool = True,
                 hydra_overrides: Union[Sequence[str], dict] = (),
                 inference_multimask: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if checkpoint is None and not allow_random_init:
            raise FileNotFoundError(
                'model.sam2.checkpoint is None: SAM2 needs pretrained weights. '
                + SAM2_CKPT_HINT)
        if checkpoint is not None and not os.path.isfile(checkpoint):
            raise FileNotFoundError(
                f'SAM2 checkpoint not found: {checkpoint!r}. ' + SAM2_CKPT_HINT)
        self.sam = self._build(config, checkpoint,
                               hydra_override_list(hydra_overrides))
        follow_weight_dtype(self.sam)  # bf16-safe SAM2 (model.bfloat16())
        self.freeze_image_encoder = freeze_image_encoder
        self.inference_multimask = inference_multimask
        if freeze_image_encoder:
            self.sam.image_encoder.requires_grad_(False)
        # Normalisation SAM2 expects (ImageNet mean/std on [0, 1]).
        self.image_size = int(self.sam.image_size)
        self.hidden_dim = int(self.sam.sam_prompt_embed_dim)

    def _apply(self, fn, recurse=True):
        """Cast/move as ``nn.Module._apply``, but keep :data:`FP32_BUFFERS`
        in fp32 with their exact values (they only follow the device)."""
        keep = {}
        for name in FP32_BUFFERS:
            owner, attr = self._buffer_owner(name)
            buf = owner._buffers.get(attr) if owner is not None else None
            if buf is not None and buf.dtype == torch.float32:
                keep[name] = (owner, attr, buf)
        super()._apply(fn, recurse)
        for owner, attr, buf in keep.values():
            new = owner._buffers[attr]
            if new.dtype != torch.float32:
                owner._buffers[attr] = buf.to(new.device)
        return self

    def _buffer_owner(self, name: str):
        """(module, attribute) of a buffer path relative to ``self.sam``."""
        sam = self.__dict__.get('_modules', {}).get('sam')
        if sam is None:
            return None, None
        path, _, attr = name.rpartition('.')
        try:
            return sam.get_submodule(path), attr
        except AttributeError:
            return None, None

    def dense_pe(self, dtype: torch.dtype) -> torch.Tensor:
        """SAM2's dense image positional encoding, computed in fp32 (the
        random Fourier features lose their phase in bf16), then cast.

        Returns:
            Tensor: (1, C, h, w) in ``dtype``.
        """
        gauss = self.sam.sam_prompt_encoder.pe_layer.\
            positional_encoding_gaussian_matrix
        with torch.autocast(device_type=gauss.device.type, enabled=False):
            pe = self.sam.sam_prompt_encoder.get_dense_pe()
        return pe.to(dtype)

    @staticmethod
    def _build(config, checkpoint, overrides):
        # SAM2.0 / SAM2.1 checkpoint <-> config pairing ('auto' or checked)
        config = resolve_sam2_config(config, checkpoint)
        if isinstance(config, str):
            from sam2.build_sam import build_sam2
            return build_sam2(
                config, ckpt_path=checkpoint, device='cpu', mode='eval',
                hydra_overrides_extra=overrides, apply_postprocessing=True)
        config = dict(config)
        if set(config) == {'tiny'}:
            config = tiny_sam2_config(**config['tiny'])
        from hydra.utils import instantiate
        from omegaconf import OmegaConf
        model = instantiate(OmegaConf.create(copy.deepcopy(dict(config))),
                            _recursive_=True)
        if checkpoint is not None:
            state = torch.load(checkpoint, map_location='cpu',
                               weights_only=True)
            state = state.get('model', state)
            missing, unexpected = model.load_state_dict(state, strict=False)
            if missing or unexpected:
                raise RuntimeError(
                    f'SAM2 checkpoint {checkpoint!r} does not match the '
                    f'config: missing {missing[:5]}, unexpected '
                    f'{unexpected[:5]}.')
        return model

    def _forward_image(self, x: torch.Tensor) -> dict:
        """``SAM2Base.forward_image`` (memory propagation)."""
        return self.sam.forward_image(x)

    def _image_encoder(self, x: torch.Tensor) -> dict:
        """SAM2's image encoder output for (N, 3, S, S) inputs, with
        gradients only when it trains (``freeze_image_encoder=False``)."""
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_image_encoder):
            return self.sam.image_encoder(x)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_image_encoder:
            self.sam.image_encoder.eval()
        return self

    def preprocess(self, frames: torch.Tensor) -> torch.Tensor:
        """Resize normalised frames to SAM2's square input.

        Args:
            frames (Tensor): (N, 3, H, W) normalised frames.

        Returns:
            Tensor: (N, 3, S, S), S = ``image_size``.
        """
        dtype = self.sam.sam_mask_decoder.conv_s0.weight.dtype
        x = F.interpolate(frames.float(),
                          size=(self.image_size, self.image_size),
                          mode='bilinear', align_corners=False)
        return x.to(dtype)  # bf16-safe: frames follow the model dtype

    def encode(self, frames: torch.Tensor) -> dict:
        """Image features of N frames (no memory).

        Args:
            frames (Tensor): (N, 3, H, W) normalised frames.

        Returns:
            dict: ``vision_feats`` list of (HW, N, C) per level,
            ``vision_pos`` (same), ``feat_sizes`` list of (h, w), plus the
            image encoder's outputs SAM2 does not read (none for Hiera).
        """
        sam = self.sam
        backbone_out = self._image_encoder(self.preprocess(frames))
        if sam.use_high_res_features_in_sam:
            # the decoder's own stride-4/8 projections (trainable) -- the
            # rest of ``SAM2Base.forward_image``
            fpn = list(backbone_out['backbone_fpn'])
            fpn[0] = sam.sam_mask_decoder.conv_s0(fpn[0])
            fpn[1] = sam.sam_mask_decoder.conv_s1(fpn[1])
            backbone_out = dict(backbone_out, backbone_fpn=fpn)
        _, feats, pos, sizes = sam._prepare_backbone_features(backbone_out)
        if sam.directly_add_no_mem_embed:
            # image-only path (no memory): SAM2's no_mem_embed, as in
            # SAM2ImagePredictor and Sa2VA's per-frame training.
            feats = list(feats)
            feats[-1] = feats[-1] + sam.no_mem_embed
        extra = {k: v for k, v in backbone_out.items()
                 if k not in ('vision_features', 'vision_pos_enc',
                              'backbone_fpn')}
        return dict(extra, vision_feats=feats, vision_pos=pos,
                    feat_sizes=sizes)

    @staticmethod
    def _high_res(feats: List[torch.Tensor], sizes) -> List[torch.Tensor]:
        return [
            x.permute(1, 2, 0).reshape(x.size(1), x.size(2), *s)
            for x, s in zip(feats[:-1], sizes[:-1])
        ]

    def decode(self,
               pix_feat: torch.Tensor,
               high_res: Optional[List[torch.Tensor]],
               prompt: Optional[torch.Tensor],
               multimask_output: bool = False) -> tuple:
        """SAM2 prompt encoder + mask decoder with a language prompt.

        The prompt is concatenated to the sparse embeddings of an empty point
        (label -1), exactly as SAM2 pads a prompt-less call (Sa2VA scheme).

        Args:
            pix_feat (Tensor): (N, C, h, w) image (or memory-conditioned)
                features at stride 16.
            high_res (list[Tensor] | None): stride-4/8 features.
            prompt (Tensor | None): (N, P, C) prompt embeddings.

        Returns:
            tuple: ``low_res_masks`` (N, 1, 4h, 4w) logits, ``ious`` (N, M),
            ``sam_token`` (N, C), ``object_score_logits`` (N, 1).
        """
        sam = self.sam
        n = pix_feat.size(0)
        device = pix_feat.device
        # the decoder's weight dtype: bf16 after model.bfloat16(), fp32
        # otherwise (an outer autocast then picks the compute dtype)
        dtype = sam.sam_mask_decoder.iou_token.weight.dtype
        pix_feat = pix_feat.to(dtype)
        coords = torch.zeros(n, 1, 2, device=device)
        labels = -torch.ones(n, 1, dtype=torch.int32, device=device)
        # the padding point's PE is zeroed by SAM2 (label -1), so only the
        # dense image PE needs fp32 (:meth:`dense_pe`)
        sparse, dense = sam.sam_prompt_encoder(
            points=(coords, labels), boxes=None, masks=None)
        sparse, dense = sparse.to(dtype), dense.to(dtype)
        if high_res is not None:
            high_res = [h.to(dtype) for h in high_res]
        if prompt is not None:
            sparse = torch.cat([sparse, prompt.to(dtype)], dim=1)
        masks, ious, tokens, obj_logits = sam.sam_mask_decoder(
            image_embeddings=pix_feat,
            image_pe=self.dense_pe(dtype),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask_output,
            repeat_image=False,
            high_res_features=high_res)
        if multimask_output:
            best = torch.argmax(ious, dim=-1)
            idx = torch.arange(n, device=device)
            masks = masks[idx, best].unsqueeze(1)
            token = tokens[idx, best] if tokens.size(1) > 1 else tokens[:, 0]
        else:
            token = tokens[:, 0]
        return masks, ious, token, obj_logits

    def segment_frames(self, feats: dict, prompt: torch.Tensor,
                       frame_inds: Optional[torch.Tensor] = None
                       ) -> torch.Tensor:
        """Per-frame decoding without memory (training, Sa2VA style).

        Args:
            feats (dict): output of :meth:`encode` for N frames.
            prompt (Tensor): (M, P, C) prompts.
            frame_inds (Tensor, optional): (M,) frame index of each prompt;
                defaults to ``arange(N)`` (M == N).

        Returns:
            Tensor: (M, 1, 4h, 4w) mask logits at stride 4.
        """
        vf, sizes = feats['vision_feats'], feats['feat_sizes']
        pix = vf[-1].permute(1, 2, 0).reshape(vf[-1].size(1), -1,
                                               *sizes[-1])
        high = self._high_res(vf, sizes)
        if frame_inds is not None:
            pix = pix[frame_inds]
            high = [h[frame_inds] for h in high]
        multimask = self.inference_multimask and not self.training
        masks, _, _, _ = self.decode(pix, high, prompt, multimask)
        return masks

    @torch.no_grad()
    def propagate(self,
                  frames: torch.Tensor,
                  prompt: torch.Tensor,
                  cond_frames: Sequence[int],
                  out_size: Sequence[int],
                  chunk: int = 8) -> torch.Tensor:
        """Video segmentation with SAM2's memory (``init_state`` +
        ``add_new_*`` on the conditioning frames + ``propagate_in_video``, on
        tensors).

        The prompt is injected on ``cond_frames`` (the frames the MLLM saw);
        every other frame is tracked from the memory bank only. Frames stay on
        their device (CPU when offloaded) and move to the model's device one
        chunk at a time.

        Args:
            frames (Tensor): (T, 3, H, W) normalised frames (any device).
            prompt (Tensor): (1, P, C) prompt embeddings.
            cond_frames (Sequence[int]): conditioning frame indices.
            out_size (tuple): (H_out, W_out) of the returned logits.

        Returns:
            Tensor: (T, H_out, W_out) mask logits on the model device.
        """
        sam = self.sam
        device = next(self.parameters()).device
        num_frames = frames.size(0)
        cond = sorted(set(int(i) for i in cond_frames))
        if not cond or cond[0] < 0 or cond[-1] >= num_frames:
            raise ValueError(f'cond_frames {cond_frames} out of range for a '
                             f'{num_frames}-frame video.')
        output_dict = {'cond_frame_outputs': {}, 'non_cond_frame_outputs': {}}
        results = None  # (T, H_out, W_out), filled frame by frame
        # process frames in time order starting from the first cond frame,
        # then the frames before it in reverse order
        # (the conditioning frames first, each on its own, as
        # ``add_new_*`` + ``propagate_in_video_preflight`` do)
        order = [(t, False) for t in cond] + \
            [(t, False) for t in range(cond[0], num_frames) if t not in cond] \
            + [(t, True) for t in range(cond[0] - 1, -1, -1)]
        cache: Dict[int, dict] = {}
        for t, reverse in order:
            if t not in cache:
                cache.clear()
                stop = min(num_frames, t + chunk) if not reverse else t + 1
                start = t if not reverse else max(0, t - chunk + 1)
                x = self.preprocess(frames[start:stop].to(device))
                bo = self._forward_image(x)
                _, vf, vp, sizes = sam._prepare_backbone_features(bo)
                for k in range(stop - start):
                    cache[start + k] = dict(
                        vf=[f[:, k:k + 1] for f in vf],
                        vp=[p[:, k:k + 1] for p in vp], sizes=sizes)
            c = cache[t]
            is_cond = t in cond
            pix = sam._prepare_memory_conditioned_features(
                frame_idx=t, is_init_cond_frame=is_cond,
                current_vision_feats=c['vf'][-1:],
                current_vision_pos_embeds=c['vp'][-1:],
                feat_sizes=c['sizes'][-1:], output_dict=output_dict,
                num_frames=num_frames, track_in_reverse=reverse)
            high = self._high_res(c['vf'], c['sizes'])
            if is_cond:
                low, _, token, obj = self.decode(pix, high, prompt, False)
            else:
                low, _, token, obj = self.decode(
                    pix, high, None, sam.multimask_output_for_tracking)
            if sam.pred_obj_scores:
                low = torch.where(obj[:, :, None, None] > 0, low,
                                  torch.full_like(low, -1024.0))
            low = low.float()
            high_masks = F.interpolate(
                low, size=(sam.image_size, sam.image_size), mode='bilinear',
                align_corners=False)
            obj_ptr = sam.obj_ptr_proj(token)
            if sam.pred_obj_scores:
                lam = (obj > 0).to(obj_ptr.dtype)
                if sam.fixed_no_obj_ptr:
                    obj_ptr = lam * obj_ptr
                obj_ptr = obj_ptr + (1 - lam) * sam.no_obj_ptr
            mem, mem_pos = sam._encode_new_memory(
                current_vision_feats=c['vf'], feat_sizes=c['sizes'],
                pred_masks_high_res=high_masks, object_score_logits=obj,
                is_mask_from_pts=is_cond)
            key = 'cond_frame_outputs' if is_cond else \
                'non_cond_frame_outputs'
            output_dict[key][t] = dict(
                maskmem_features=mem, maskmem_pos_enc=mem_pos,
                pred_masks=low, obj_ptr=obj_ptr,
                object_score_logits=obj)
            self._forget_far_frames(output_dict['non_cond_frame_outputs'],
                                    t, cond[0])
            if results is None:
                results = low.new_empty((num_frames, *out_size))
            results[t] = F.interpolate(
                low, size=tuple(out_size), mode='bilinear',
                align_corners=False)[0, 0]
        return results

    def memory_window(self) -> int:
        """Frames of memory SAM2 reads around the current one: the memory
        bank (``num_maskmem`` frames at stride ``memory_temporal_stride``)
        and the object pointers (``max_obj_ptrs_in_encoder``)."""
        sam = self.sam
        stride = int(getattr(sam, 'memory_temporal_stride_for_eval', 1))
        return max(int(sam.num_maskmem) * stride,
                   int(sam.max_obj_ptrs_in_encoder))

    def _forget_far_frames(self, non_cond: dict, t: int,
                           first_cond: int) -> None:
        """Drop memories no later frame can read, so memory stays bounded
        on long videos. Kept: frames within :meth:`memory_window` of ``t``
        and those right after the first conditioning frame (the backward
        pass over the frames before it starts there). Conditioning frames
        are always kept (SAM2 reads all of them)."""
        window = self.memory_window()
        for k in [k for k in non_cond
                  if abs(k - t) > window and k > first_cond + window]:
            del non_cond[k]
