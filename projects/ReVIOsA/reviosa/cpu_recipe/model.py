"""The CPU recipe of ReVIOsA: the paper's model plus the levers that make a
tiny random-init MLLM + SAM2 learn the synthetic interaction set on CPU.

None of this is in the paper (InterRVOS) or the released code; the real
configs build :class:`~projects.ReVIOsA.reviosa.ReVIOsA` and none of it.
The options default off; the CPU configs turn them on. Why each exists and
what it measured: ``docs/decisions/reviosa.md`` (revisions 2-3, sessions
3-10).
"""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from rvos_plugin.registry import MODELS
from rvos_plugin.structures.rvos_sample import stack_frame_masks
from ..reviosa import ReVIOsA
from .losses import actor_target_overlap_loss
from .pair_selection import (exclusive_logits, keep_nearest_component,
                             select_actor_target_pair)
from .prompt import RecipePromptMixin
from .role_word_attention import RoleWordAttention
from .sam2_adapter import ReVIOsACPUSAM2


@MODELS.register_module()
class ReVIOsACPURecipe(RecipePromptMixin, ReVIOsA):
    """:class:`ReVIOsA` with the CPU recipe's options.

    ``model.sam2`` takes the options of :class:`ReVIOsACPUSAM2` (Lite0
    encoder, FiLM dense prompt, prompt-conditioned mask head); every other
    argument of :class:`ReVIOsA` is accepted unchanged.

    Args:
        freeze_mllm (bool): vision encoder and LLM frozen (Sec. 4.1). False
            trains the whole MLLM -- only for random-init CPU configs, where
            frozen random weights carry no knowledge.
        loss_overlap_weight (float): weight of the actor-target overlap
            term (:func:`actor_target_overlap_loss`) on samples where both
            masks are decoded; 0 (default: paper / released code, no such
            term). CPU-scale option: the actor must not be the target.
        expression_encoder (dict, optional): None (default: the seg-token
            prompt alone, as the paper) or the config of a frozen pretrained
            text encoder with the ``RVOSHFTextEncoder`` interface (CPU
            config: all-MiniLM-L6-v2 from its wheel). CPU-scale option: the
            tiny *random* LLM's seg-token state only learns the answer
            structure, not the expression's content (revision-3 diagnosis),
            so the prompt of each seg token becomes
            ``[MLP(h_seg) + W pooled(expr), W word_1, ..., W word_L]``
            (:meth:`build_prompt`): the role comes from the seg token, the
            content from pretrained word states.
        role_word_attention (bool | dict): False (default) or True --
            CPU-scale option (needs ``expression_encoder`` and
            ``sam2.prompt_mask_head``): the seg token chooses its words
            (:class:`RoleWordAttention`); the head's pooled text becomes the
            role-weighted word mean and its words are gated by the role's
            weights, so ``[SEG_ACT]`` and ``[SEG_TAR]`` of one sentence can
            read different noun phrases. A dict turns it on with extra
            :class:`RoleWordAttention` arguments (``gating``,
            ``sequence_encoder``, ``attn_dims``).
        role_word_positions (bool): False (default) or True -- with
            ``role_word_attention``, the keys also carry a learned
            embedding of each word's index (one per token of the
            expression encoder's ``max_length``), so a role can prefer
            the sentence's first or last noun phrase.
        target_context_for_actor (bool): False (default: actor and target
            decoded independently, the paper) or True -- CPU-scale option
            (needs ``sam2.prompt_mask_head``): the actor's head also reads
            the target mask as an extra input channel (training: the GT
            target mask, teacher forcing; inference: the predicted target
            mask, decoded first), zeros when the expression has no target,
            so "the object interacting with the target" becomes a local
            spatial relation for the head.
        target_context_radii (Sequence[float]): with
            ``target_context_for_actor``, the context also carries one
            proximity map per radius: the target mask dilated by
            ``radius * min(H, W)`` pixels (:func:`proximity_maps`), so the
            head sees "near the target" at several scales without a large
            receptive field. Empty (default): the mask alone.
        target_context_window (int): 0 (default) or an odd number of video
            frames W -- with ``target_context_for_actor``, the context also
            carries the target mask's union over the W frames around each
            frame and its proximity maps (:func:`temporal_max`): the
            target's path, along which the object it interacts with moves
            (follows, chases, pushes). Needs ``frame_inds`` in the metainfo.
        target_context_past (int): 0 (default) or D video frames -- with
            ``target_context_for_actor``, the context also carries the
            target mask D frames earlier and its proximity maps
            (:func:`past_frames`): the target's direction of motion, behind
            which a pusher, chaser or follower moves. Needs ``frame_inds``.
        target_context_prior (bool): False (default) or True -- with
            ``target_context_for_actor``, the context also enters the
            actor's logits directly through a zero-initialised 1x1
            convolution (``ContextLogitPrior``): a learned offset per
            distance band around the target.
        mask_refinement (dict, optional): refine each frame's mask
            probabilities with the frame's colour affinities before the
            threshold, e.g. ``dict(type='PixelAdaptiveRefinement')``. Not in
            the paper (SAM2 masks need none); a CPU-scale lever for the
            low-resolution decoder. ``None`` (default): off.
        exclusive_actor_target (bool): decode the actor and the target of an
            expression as different objects: a pixel both masks claim goes
            to the one with the larger logit. The annotation defines them
            as distinct objects (InterRVOS Sec. 3.1); the tiny CPU model
            often segments the target with both tokens. Default off.
        actor_nearest_component (bool): inference only, not in the paper:
            when a frame's actor mask has several connected regions, keep
            the one nearest to the predicted target
            (:func:`keep_nearest_component`). Default off.
        actor_target_pair (dict, optional): inference only, not in the
            paper: None (default) or the arguments of
            :func:`select_actor_target_pair` (``threshold``,
            ``distance_weight``, ``inside_max``), which keeps, per frame,
            one actor and one target region: the confident pair closest
            together. Replaces ``actor_nearest_component`` (both set is
            an error).
    """

    def __init__(self,
                 *args,
                 freeze_mllm: bool = True,
                 loss_overlap_weight: float = 0.0,
                 expression_encoder: Optional[dict] = None,
                 target_context_for_actor: bool = False,
                 target_context_radii: Sequence[float] = (),
                 target_context_window: int = 0,
                 target_context_prior: bool = False,
                 target_context_past: int = 0,
                 role_word_attention: Union[bool, dict] = False,
                 role_word_positions: bool = False,
                 mask_refinement: Optional[dict] = None,
                 exclusive_actor_target: bool = False,
                 actor_nearest_component: bool = False,
                 actor_target_pair: Optional[dict] = None,
                 **kwargs):
        single = kwargs.get('token_mode', 'joint') == 'single'
        if actor_nearest_component and single:
            raise ValueError(
                "actor_nearest_component keeps the actor region nearest to "
                "the [SEG_TAR] mask; token_mode='single' has none.")
        if actor_target_pair is not None:
            if single:
                raise ValueError(
                    "actor_target_pair selects an actor and a [SEG_TAR] "
                    "region; token_mode='single' has no target: set "
                    'actor_target_pair=None.')
            if actor_nearest_component:
                raise ValueError(
                    'actor_target_pair replaces actor_nearest_component: '
                    'set actor_nearest_component=False.')
            unknown = set(actor_target_pair) - {
                'threshold', 'distance_weight', 'inside_max'}
            if unknown:
                raise ValueError(f'actor_target_pair: unknown keys '
                                 f'{sorted(unknown)}; expected threshold, '
                                 'distance_weight, inside_max.')
            actor_target_pair = dict(actor_target_pair)
        if role_word_positions and not role_word_attention:
            raise ValueError('role_word_positions adds positions to the '
                             'keys of role_word_attention: set both.')
        # read by the construction steps _freeze_mllm / _build_sam2, which
        # ReVIOsA.__init__ calls (plain values: allowed before nn.Module's
        # own __init__)
        self.freeze_mllm = freeze_mllm
        self.expression_encoder_cfg = expression_encoder
        self.target_context_for_actor = target_context_for_actor
        self.target_context_radii = tuple(float(r)
                                          for r in target_context_radii)
        self.target_context_window = int(target_context_window)
        self.target_context_past = int(target_context_past)
        self.target_context_prior = target_context_prior
        self._check_context_options(single)
        super().__init__(*args, **kwargs)
        self.loss_overlap_weight = loss_overlap_weight
        self.exclusive_actor_target = exclusive_actor_target
        self.actor_nearest_component = actor_nearest_component
        self.actor_target_pair = actor_target_pair
        if (self.sam2.image_encoder_type != 'hiera'
                and not self.sam2.freeze_image_encoder):
            # the Hiera trunk is unused beside Lite0: it never trains
            self.sam2.sam.image_encoder.requires_grad_(False)
        if (self.sam2.prompt_head is not None
                and self.video_inference == 'propagate'):
            raise ValueError(
                "model.sam2.prompt_mask_head decodes frames without SAM2's "
                "memory: use video_inference='per_frame' with it (or "
                'prompt_mask_head=None).')
        if self.text_encoder is not None:
            self.text_proj = nn.Linear(self.text_encoder.hidden_size,
                                       self.sam2.hidden_dim)
        self.role_word_attention = None
        if role_word_attention:
            if self.text_encoder is None or self.sam2.prompt_head is None:
                raise ValueError(
                    'role_word_attention weights the words of '
                    'model.expression_encoder for model.sam2.prompt_mask_head'
                    ': set both (or role_word_attention=False).')
            role_cfg = (dict(role_word_attention)
                        if isinstance(role_word_attention, dict) else {})
            self.role_word_attention = RoleWordAttention(
                self.sam2.hidden_dim, int(self.text_encoder.hidden_size),
                num_positions=(int(self.text_encoder.max_length)
                               if role_word_positions else 0), **role_cfg)
        self.mask_refinement = None if mask_refinement is None else \
            MODELS.build(mask_refinement)

    def _check_context_options(self, single: bool) -> None:
        on = self.target_context_for_actor
        for name in ('target_context_radii', 'target_context_window',
                     'target_context_past'):
            if getattr(self, name) and not on:
                raise ValueError(f'{name} shapes the context of '
                                 'target_context_for_actor: set both.')
        if self.target_context_window < 0 or (
                self.target_context_window
                and self.target_context_window % 2 == 0):
            raise ValueError('target_context_window must be 0 (off) or an '
                             'odd number of frames, got '
                             f'{self.target_context_window}.')
        if self.target_context_past < 0:
            raise ValueError('target_context_past must be 0 (off) or a '
                             f'number of frames, got '
                             f'{self.target_context_past}.')
        if self.target_context_prior and not on:
            raise ValueError('target_context_prior reads the context of '
                             'target_context_for_actor: set both.')
        if on and single:
            raise ValueError(
                "target_context_for_actor reads the [SEG_TAR] mask; "
                "token_mode='single' has none: set "
                'target_context_for_actor=False.')

    # ------------------------------------------------------------------
    # ReVIOsA's extension points
    def _freeze_mllm(self) -> None:
        """``freeze_mllm=False``: the whole (random) MLLM trains."""
        self.mllm.requires_grad_(not self.freeze_mllm)

    def _build_sam2(self, cfg: dict) -> ReVIOsACPUSAM2:
        """The expression encoder (its width sizes the prompt head), then
        :class:`ReVIOsACPUSAM2` with the context channels of the options."""
        self.text_encoder = None
        if self.expression_encoder_cfg is not None:
            self.text_encoder = MODELS.build(self.expression_encoder_cfg)
            if cfg.get('prompt_mask_head') is not None:
                cfg = dict(cfg, prompt_head_text_channels=int(
                    self.text_encoder.hidden_size))
        if self.target_context_for_actor:
            if cfg.get('prompt_mask_head') is None:
                raise ValueError(
                    'target_context_for_actor feeds the target mask to '
                    'model.sam2.prompt_mask_head: set one (or '
                    'target_context_for_actor=False).')
            cfg = dict(cfg, prompt_head_context=(
                1 + len(self.target_context_radii)) * (
                    1 + bool(self.target_context_window) +
                    bool(self.target_context_past)),
                prompt_head_context_prior=self.target_context_prior)
        return ReVIOsACPUSAM2(**cfg)

    def _expression_features(self, expressions: Sequence[str]):
        return self.encode_expressions(expressions)

    def _decode_train(self, feats: dict, seg_hidden: torch.Tensor,
                      frame_inds: torch.Tensor, sample_index: int,
                      role: str, data_samples: list,
                      text=None) -> torch.Tensor:
        """The prompt with word states, the head's text, and the target
        context of the actor (the GT target mask: teacher forcing)."""
        b = sample_index
        prompt = self.build_prompt(seg_hidden, text, b)
        head_text = self.build_head_text(seg_hidden, text, b,
                                         int(role == 'tar'))
        prompt = prompt.expand(len(frame_inds), -1, -1)
        context = None
        if (self.target_context_for_actor and role == 'act'
                and data_samples[b].metainfo.get('has_target')):
            context = self.actor_context(
                self._crop(stack_frame_masks(data_samples[b],
                                             'gt_target_mask'),
                           data_samples[b]).to(
                               prompt.device)[:, None].float(),
                data_samples[b].metainfo.get('frame_inds'))
        return self.sam2.segment_frames(feats, prompt, frame_inds,
                                        head_text, context)

    def _extra_losses(self, preds: Dict[str, Dict[int, torch.Tensor]],
                      hidden: torch.Tensor) -> dict:
        """``loss_overlap`` when ``loss_overlap_weight > 0``."""
        if self.loss_overlap_weight <= 0 or 'tar' not in preds:
            return {}
        both = sorted(set(preds['act']) & set(preds['tar']))
        return dict(loss_overlap=self.loss_overlap_weight * (
            torch.stack([
                actor_target_overlap_loss(preds['act'][b], preds['tar'][b])
                for b in both
            ]).mean() if both else hidden.sum() * 0))

    def _decode_roles(self, clip: torch.Tensor, seg: dict,
                      cond: Sequence[int], sample) -> tuple:
        """The target first; the actor reads its binarised mask (with
        ``target_context_for_actor``); then the rules that read both."""
        text = self.encode_expressions([sample.metainfo['expression']])
        tar = None
        if self.target_id is not None and seg['tar'] is not None:
            tar = self._segment_video(clip, seg['tar'], cond, text,
                                      role_index=1)
        context = None
        if self.target_context_for_actor and tar is not None:
            # the predicted target mask (binarised as it is output)
            context = self.actor_context(
                (tar.sigmoid() > self.mask_threshold).float()[:, None],
                sample.metainfo.get('frame_inds'))
        act = None if seg['act'] is None else self._segment_video(
            clip, seg['act'], cond, text, context)
        if act is not None and tar is not None:
            if self.actor_nearest_component:
                act = keep_nearest_component(act, tar, self.mask_threshold)
            if self.actor_target_pair is not None:
                act, tar = select_actor_target_pair(
                    act, tar, mask_threshold=self.mask_threshold,
                    **self.actor_target_pair)
            if self.exclusive_actor_target:
                act, tar = exclusive_logits(act, tar, self.mask_threshold)
        return act, tar

    @torch.no_grad()
    def _segment_video(self, frames: torch.Tensor, seg_hidden: torch.Tensor,
                       cond: Sequence[int],
                       text: Optional[dict] = None,
                       context: Optional[torch.Tensor] = None,
                       role_index: int = 0) -> torch.Tensor:
        """:meth:`ReVIOsA._segment_video` with the word states, the head's
        text, the actor context and ``mask_refinement``."""
        prompt = self.build_prompt(seg_hidden, text, 0)
        head_text = self.build_head_text(seg_hidden, text, 0, role_index)
        out_size = frames.shape[-2:]
        if self.video_inference == 'propagate':
            return self._refine(frames, self.sam2.propagate(
                frames, prompt.float(), cond, out_size, self.frame_chunk))
        logits = []
        dev = self._device()
        for start in range(0, frames.size(0), self.frame_chunk):
            chunk = frames[start:start + self.frame_chunk].to(dev)
            feats = self.sam2.encode(chunk)
            ctx = None if context is None else \
                context[start:start + self.frame_chunk].to(dev)
            low = self.sam2.segment_frames(
                feats, prompt.expand(chunk.size(0), -1, -1),
                head_text=head_text, context=ctx)
            logits.append(F.interpolate(low, size=out_size, mode='bilinear',
                                        align_corners=False)[:, 0])
        return self._refine(frames, torch.cat(logits))

    def _refine(self, frames: torch.Tensor,
                logits: torch.Tensor) -> torch.Tensor:
        """``mask_refinement`` of (T, h, w) logits at the frames' size,
        chunk by chunk on the logits' device; unchanged when it is off."""
        if self.mask_refinement is None:
            return logits
        out = []
        for start in range(0, frames.size(0), self.frame_chunk):
            lg = logits[start:start + self.frame_chunk, None].float()
            chunk = frames[start:start + self.frame_chunk].to(lg.device)
            prob = self.mask_refinement(chunk, lg.sigmoid())
            out.append(prob.logit(1e-6)[:, 0])
        return torch.cat(out)
