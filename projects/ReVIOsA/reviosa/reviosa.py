"""ReVIOsA: InternVL MLLM + SAM2 with actor/target seg tokens (InterRVOS).

Paper: InterRVOS (Sec. 4, App. A, Fig. 5); released code facts in
``../shared/notes/FORMATS.md``. Design choices: ``docs/decisions/reviosa.md``.
"""
import math
import random
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from rvos_plugin.registry import MODELS
from rvos_plugin.structures.rvos_sample import (has_frame_masks,
                                                mask_scores,
                                                set_frame_masks,
                                                stack_frame_masks)
from . import prompt_templates as pt
from .losses import (actor_target_overlap_loss, attention_map_loss,
                     mask_losses)
from .mllm import (add_lora, build_internvl, build_tokenizer,
                   image_tokens_per_frame, mllm_image_size)
from .role_word_attention import RoleWordAttention
from .sam2_adapter import ReVIOsASAM2
from .seg_token_head import ReVIOsASegTokenProjector, first_token_hidden

TOKEN_MODES = ('joint', 'independent', 'single')
FRAME_POLICIES = ('first', 'uniform')
VIDEO_INFERENCE = ('propagate', 'per_frame')


def select_mllm_frames(num_frames: int, k: int, policy: str) -> List[int]:
    """Frames the MLLM sees at inference.

    ``'first'``: the first k frames (released code, k=5); ``'uniform'``: k
    uniformly spaced frames ``round(linspace(0, T-1, k))`` (what users report
    works better). Fewer when the video is shorter than k.
    """
    if policy not in FRAME_POLICIES:
        raise ValueError(f'frame_policy must be one of {FRAME_POLICIES}, got '
                         f'{policy!r}.')
    if num_frames < 1:
        raise ValueError('a video needs at least one frame.')
    k = min(k, num_frames)
    if policy == 'first':
        return list(range(k))
    return sorted(set(np.round(np.linspace(0, num_frames - 1,
                                           k)).astype(int).tolist()))


def proximity_maps(mask: torch.Tensor,
                   radii: Sequence[float]) -> torch.Tensor:
    """Dilations of a mask at radii relative to the frame size.

    Args:
        mask (Tensor): (T, 1, H, W) values in [0, 1].
        radii (Sequence[float]): radius of each map as a fraction of
            ``min(H, W)``; a radius of r pixels is a (2r + 1)-square max
            filter (at least 1 pixel).

    Returns:
        Tensor: (T, len(radii), H, W); map k is 1 within
        ``radii[k] * min(H, W)`` pixels (Chebyshev distance) of the mask.
    """
    if mask.dim() != 4 or mask.size(1) != 1:
        raise ValueError(f'proximity_maps expects (T, 1, H, W), got '
                         f'{tuple(mask.shape)}.')
    side = min(mask.shape[-2:])
    out = []
    for r in radii:
        if r <= 0:
            raise ValueError(f'proximity radii must be > 0, got {r}.')
        k = max(1, int(round(r * side)))
        # the square max filter is separable: a column pass then a row
        # pass (8x faster than one 31 x 31 window at 96 px on CPU)
        rows = F.max_pool2d(mask, (2 * k + 1, 1), stride=1, padding=(k, 0))
        out.append(F.max_pool2d(rows, (1, 2 * k + 1), stride=1,
                                padding=(0, k)))
    return torch.cat(out, dim=1)


def clip_frame_indices(caller: str, mask: torch.Tensor,
                       frame_inds: Sequence[int]) -> np.ndarray:
    """Check a (T, 1, H, W) mask stack and its T increasing video frame
    indices; return the indices as an array. ``caller`` names the function
    in the error message."""
    if mask.dim() != 4 or mask.size(1) != 1:
        raise ValueError(f'{caller} expects (T, 1, H, W), got '
                         f'{tuple(mask.shape)}.')
    if len(frame_inds) != mask.size(0):
        raise ValueError(f'{caller}: {len(frame_inds)} frame indices '
                         f'for {mask.size(0)} masks.')
    inds = np.asarray(frame_inds)
    if np.any(np.diff(inds) <= 0):
        raise ValueError(f'{caller}: frame indices must increase, got '
                         f'{list(frame_inds)}.')
    return inds


def temporal_max(mask: torch.Tensor, frame_inds: Sequence[int],
                 window: int) -> torch.Tensor:
    """Union of a mask over the frames within a temporal window.

    The "tube" of the target: where it was and will be around each frame,
    so its motion path is visible to a per-frame head. The window counts
    video frames, not clip positions, so a training clip sampled every 2
    frames and a test video sampled every frame see the same span.

    Args:
        mask (Tensor): (T, 1, H, W) values in [0, 1].
        frame_inds (Sequence[int]): the video frame index of each of the T
            masks, increasing.
        window (int): span in video frames (odd, >= 1); frame ``i`` takes
            the maximum over frames ``j`` with
            ``|f_j - f_i| <= window // 2``.

    Returns:
        Tensor: (T, 1, H, W).
    """
    inds = clip_frame_indices('temporal_max', mask, frame_inds)
    if window < 1 or window % 2 == 0:
        raise ValueError(f'temporal_max window must be odd and >= 1, got '
                         f'{window}.')
    half = window // 2
    lo = np.searchsorted(inds, inds - half, side='left')
    hi = np.searchsorted(inds, inds + half, side='right')
    return torch.stack([mask[a:b].amax(dim=0) for a, b in zip(lo, hi)])


def past_frames(mask: torch.Tensor, frame_inds: Sequence[int],
                delay: int) -> torch.Tensor:
    """The mask ``delay`` video frames earlier: where the object came from.

    Frame ``i`` takes the mask of the latest frame ``j`` of the clip with
    ``f_j <= f_i - delay``; frames with no such frame (the start of the
    clip) take the clip's first frame. Counted in video frames, so a
    training clip sampled every 2 frames and a test video sampled every
    frame see the same displacement.

    Args:
        mask (Tensor): (T, 1, H, W) values in [0, 1].
        frame_inds (Sequence[int]): the video frame index of each of the T
            masks, increasing.
        delay (int): frames back (>= 1).

    Returns:
        Tensor: (T, 1, H, W).
    """
    inds = clip_frame_indices('past_frames', mask, frame_inds)
    if delay < 1:
        raise ValueError(f'past_frames delay must be >= 1, got {delay}.')
    src = np.searchsorted(inds, inds - delay, side='right') - 1
    return mask[torch.as_tensor(np.maximum(src, 0), device=mask.device)]


def keep_nearest_component(actor: torch.Tensor, target: torch.Tensor,
                           threshold: float = 0.5,
                           suppressed: float = -20.0) -> torch.Tensor:
    """Keep, per frame, the actor region nearest to the target.

    The actor of an interaction touches or approaches its target, and is
    another object. When a frame's actor mask falls apart into several
    connected regions (the head found "an object" several times), the
    regions lying mostly (> half their area) inside the target mask are not
    candidates; of the others, the one with the smallest distance to the
    target mask is kept and the logits of every other region are lowered to
    ``suppressed``. Frames with one region, no candidate, no actor or no
    target are unchanged.

    Args:
        actor (Tensor): (T, H, W) actor mask logits.
        target (Tensor): (T, H, W) target mask logits (same size).
        threshold (float): probability threshold of both masks.
        suppressed (float): logit given to the dropped regions.

    Returns:
        Tensor: (T, H, W) actor logits.
    """
    from scipy import ndimage
    if actor.shape != target.shape or actor.dim() != 3:
        raise ValueError(f'keep_nearest_component expects two (T, H, W) '
                         f'maps, got {tuple(actor.shape)} and '
                         f'{tuple(target.shape)}.')
    cut = math.log(threshold / (1.0 - threshold))
    act_fg = (actor > cut).cpu().numpy()
    tar_fg = (target > cut).cpu().numpy()
    out = actor.clone()
    for t in range(actor.size(0)):
        labels, num = ndimage.label(act_fg[t])
        if num < 2 or not tar_fg[t].any():
            continue
        ids = np.arange(1, num + 1)
        inside = ndimage.mean(tar_fg[t].astype(np.float64), labels, ids)
        candidates = ids[np.asarray(inside) <= 0.5]
        if candidates.size == 0:
            continue
        distance = ndimage.distance_transform_edt(~tar_fg[t])
        nearest = int(candidates[np.argmin(ndimage.minimum(
            distance, labels, candidates))])
        drop = torch.from_numpy((labels > 0) & (labels != nearest)).to(
            actor.device)
        out[t] = torch.where(drop, out.new_tensor(suppressed).clamp(
            max=cut - 1.0), out[t])
    return out


def select_actor_target_pair(actor: torch.Tensor, target: torch.Tensor,
                             threshold: float = 0.3,
                             distance_weight: float = 5.0,
                             mask_threshold: float = 0.5,
                             inside_max: float = 0.5,
                             suppressed: float = -20.0):
    """Keep, per frame, one actor region and one target region: the pair
    the two masks are most confident about and that lie closest together.

    Joint decoding of an interaction: the actor and the target are two
    different objects, one each, and they touch or approach each other.
    Per frame, the candidates of each role are the connected regions of its
    probability map above ``threshold`` (lower than the mask threshold, so
    an object the head is unsure of still competes). A pair (a, b) scores

        s(a, b) = log max_a p_act + log max_b p_tar - lambda * d(a, b) / S,

    with d the smallest pixel distance between the regions, S = min(H, W)
    and lambda = ``distance_weight``; actor regions lying more than
    ``inside_max`` of their area inside b are not paired with b. The best
    pair is kept: every other region of each map is lowered to
    ``suppressed``, and the kept regions' pixels (all above ``threshold``)
    become foreground (logit at least ``logit(mask_threshold) + 1``).
    Frames where either map has no region, or no pair is allowed, are
    unchanged.

    Args:
        actor (Tensor): (T, H, W) actor mask logits.
        target (Tensor): (T, H, W) target mask logits (same size).
        threshold (float): probability above which a pixel belongs to a
            candidate region.
        distance_weight (float): lambda, per unit of ``min(H, W)``.
        mask_threshold (float): the model's output threshold.
        inside_max (float): largest share of an actor region inside the
            target region it is paired with.
        suppressed (float): logit given to the dropped regions.

    Returns:
        tuple[Tensor, Tensor]: the (T, H, W) actor and target logits.
    """
    from scipy import ndimage
    if actor.shape != target.shape or actor.dim() != 3:
        raise ValueError(f'select_actor_target_pair expects two (T, H, W) '
                         f'maps, got {tuple(actor.shape)} and '
                         f'{tuple(target.shape)}.')
    if not 0.0 < threshold < 1.0:
        raise ValueError(f'threshold must be in (0, 1), got {threshold}.')
    keep_at = math.log(mask_threshold / (1.0 - mask_threshold)) + 1.0
    drop_to = min(suppressed, keep_at - 2.0)
    side = float(min(actor.shape[-2:]))
    prob_a = actor.detach().float().sigmoid().cpu().numpy()
    prob_t = target.detach().float().sigmoid().cpu().numpy()
    act_out, tar_out = actor.clone(), target.clone()
    for t in range(actor.size(0)):
        lab_a, num_a = ndimage.label(prob_a[t] > threshold)
        lab_t, num_t = ndimage.label(prob_t[t] > threshold)
        if num_a == 0 or num_t == 0:
            continue
        ids_a = np.arange(1, num_a + 1)
        ids_t = np.arange(1, num_t + 1)
        log_a = np.log(np.asarray(ndimage.maximum(prob_a[t], lab_a, ids_a)))
        log_t = np.log(np.asarray(ndimage.maximum(prob_t[t], lab_t, ids_t)))
        best = None
        for j in ids_t:
            region = lab_t == j
            inside = np.asarray(ndimage.mean(region.astype(np.float64),
                                             lab_a, ids_a))
            gap = np.asarray(ndimage.minimum(
                ndimage.distance_transform_edt(~region), lab_a, ids_a))
            score = log_a + log_t[j - 1] - distance_weight * gap / side
            score[inside > inside_max] = -np.inf
            k = int(np.argmax(score))
            if np.isfinite(score[k]) and (best is None or score[k] > best[0]):
                best = (score[k], k + 1, j)
        if best is None:
            continue
        _, k, j = best
        for out, lab, keep in ((act_out, lab_a, k), (tar_out, lab_t, j)):
            chosen = torch.from_numpy(lab == keep).to(out.device)
            other = torch.from_numpy((lab > 0) & (lab != keep)).to(out.device)
            frame = out[t].masked_fill(other, drop_to)
            out[t] = torch.where(chosen, frame.clamp(min=keep_at), frame)
    return act_out, tar_out


def exclusive_logits(actor: torch.Tensor, target: torch.Tensor,
                     threshold: float = 0.5):
    """Make two mask-logit maps claim disjoint foregrounds.

    Where both are foreground (``sigmoid > threshold``), the map with the
    smaller logit is pushed to background (-1e4); elsewhere both are kept.

    Args:
        actor (Tensor): (T, H, W) logits.
        target (Tensor): (T, H, W) logits, same shape.
        threshold (float): sigmoid threshold of a foreground pixel.

    Returns:
        tuple[Tensor, Tensor]: the actor and target logits.
    """
    t = float(np.log(threshold / (1 - threshold)))
    both = (actor > t) & (target > t)
    background = actor.new_tensor(-1e4)
    return (torch.where(both & (target > actor), background, actor),
            torch.where(both & (actor >= target), background, target))


@MODELS.register_module()
class ReVIOsA(BaseModel):
    """Referring Video Interaction-aware Object Segmentation.

    Args:
        mllm (dict): ``pretrained`` (local HF-format InternVL folder) or
            ``config`` (``InternVLConfig`` kwargs, random init), plus
            ``tokenizer`` (defaults to ``pretrained``; ``package:`` paths
            allowed), ``torch_dtype``, ``attn_implementation``.
        sam2 (dict): kwargs of :class:`ReVIOsASAM2`.
        actor_token (str): actor seg token name (``[SEG_ACT]``; released
            checkpoints: ``[SEG]``).
        target_token (str): target seg token name (``[SEG_TAR]``; released:
            ``[SEG_OBJ]``). Unused when ``token_mode='single'``.
        token_mode (str): Table 6: ``'joint'`` (c, default: both tokens in one
            answer for unidirectional expressions), ``'independent'`` (b:
            actor and target asked and supervised in separate sequences),
            ``'single'`` (a: one token, actor only).
        chat_template (str): ``'qwen_chat'`` (1B) or ``'phi3_chat'`` (4B).
        lora (dict): ``r, alpha, dropout, target_modules`` (released: 128,
            256, 0.05); None disables LoRA.
        train_token_embeddings (bool): make the LLM input embeddings and
            lm_head trainable so the new special tokens are learnable (as
            Sa2VA); False keeps them frozen (LoRA only, the paper's wording).
        freeze_mllm (bool): vision encoder and LLM frozen (Sec. 4.1). False
            trains the whole MLLM -- only for random-init CPU configs, where
            frozen random weights carry no knowledge.
        num_mllm_frames (int): frames the MLLM sees at inference (5).
        frame_policy (str): ``'first'`` | ``'uniform'``.
        video_inference (str): ``'propagate'`` (SAM2 memory, released code) |
            ``'per_frame'`` (prompt every frame without memory, as training).
        loss_lm_weight, loss_bce_weight, loss_dice_weight (float): 1.0, 2.0,
            0.5 (released code); ``dice_eps`` 1.0.
        num_points (int, optional): None = per-pixel mask losses; 12544 =
            released point-sampled losses.
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
        attn_loss (dict, optional): released attention-map loss, off by
            default: ``dict(weight=1.0, layers=[-1], heads=None)``; needs
            ``mllm.attn_implementation='eager'``.
        postfix_prob (float): probability of an actor-target postfix in a
            training question.
        eval_postfix (str, optional): postfix of the evaluation prompt.
        max_new_tokens (int): generation budget at inference.
        mask_threshold (float): sigmoid threshold (0.5).
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
        offload_frames (bool): keep video frames on the CPU in inference and
            move them to the device chunk by chunk.
        frame_chunk (int): frames per SAM2 encoder call in inference.
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
                 mllm: dict,
                 sam2: dict,
                 actor_token: str = '[SEG_ACT]',
                 target_token: Optional[str] = '[SEG_TAR]',
                 token_mode: str = 'joint',
                 chat_template: str = 'qwen_chat',
                 lora: Optional[dict] = dict(
                     r=128, alpha=256, dropout=0.05,
                     target_modules=('q_proj', 'k_proj', 'v_proj', 'o_proj',
                                     'gate_proj', 'up_proj', 'down_proj')),
                 train_token_embeddings: bool = True,
                 freeze_mllm: bool = True,
                 num_mllm_frames: int = 5,
                 frame_policy: str = 'first',
                 video_inference: str = 'propagate',
                 loss_lm_weight: float = 1.0,
                 loss_bce_weight: float = 2.0,
                 loss_dice_weight: float = 0.5,
                 dice_eps: float = 1.0,
                 num_points: Optional[int] = None,
                 loss_overlap_weight: float = 0.0,
                 expression_encoder: Optional[dict] = None,
                 target_context_for_actor: bool = False,
                 target_context_radii: Sequence[float] = (),
                 target_context_window: int = 0,
                 target_context_prior: bool = False,
                 target_context_past: int = 0,
                 role_word_attention: Union[bool, dict] = False,
                 role_word_positions: bool = False,
                 attn_loss: Optional[dict] = None,
                 postfix_prob: float = 1.0,
                 eval_postfix: Optional[str] = pt.POSTFIXES[2],
                 target_query: str = 'Please segment the target of this '
                 'interaction.',
                 no_target_answer: str = 'There is no target.',
                 max_new_tokens: int = 16,
                 mask_threshold: float = 0.5,
                 mask_refinement: Optional[dict] = None,
                 exclusive_actor_target: bool = False,
                 offload_frames: bool = True,
                 frame_chunk: int = 8,
                 actor_nearest_component: bool = False,
                 actor_target_pair: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if token_mode not in TOKEN_MODES:
            raise ValueError(f'token_mode must be one of {TOKEN_MODES}, got '
                             f'{token_mode!r}.')
        if video_inference not in VIDEO_INFERENCE:
            raise ValueError(f'video_inference must be one of '
                             f'{VIDEO_INFERENCE}, got {video_inference!r}.')
        select_mllm_frames(1, 1, frame_policy)  # validates the policy
        if token_mode != 'single' and not target_token:
            raise ValueError(f'token_mode={token_mode!r} needs a '
                             'target_token name.')
        self.token_mode = token_mode
        self.actor_token = actor_token
        self.target_token = None if token_mode == 'single' else target_token
        self.chat_template = chat_template
        self.num_mllm_frames = num_mllm_frames
        self.frame_policy = frame_policy
        self.video_inference = video_inference
        self.loss_lm_weight = loss_lm_weight
        self.loss_bce_weight = loss_bce_weight
        self.loss_dice_weight = loss_dice_weight
        self.dice_eps = dice_eps
        self.num_points = num_points
        self.loss_overlap_weight = loss_overlap_weight
        self.attn_loss = attn_loss
        self.postfix_prob = postfix_prob
        self.eval_postfix = eval_postfix
        self.target_query = target_query
        self.no_target_answer = no_target_answer
        self.max_new_tokens = max_new_tokens
        self.mask_threshold = mask_threshold
        self.mask_refinement = None if mask_refinement is None else \
            MODELS.build(mask_refinement)
        self.exclusive_actor_target = exclusive_actor_target
        self.offload_frames = offload_frames
        self.frame_chunk = frame_chunk
        if actor_nearest_component and token_mode == 'single':
            raise ValueError(
                "actor_nearest_component keeps the actor region nearest to "
                "the [SEG_TAR] mask; token_mode='single' has none.")
        self.actor_nearest_component = actor_nearest_component
        if actor_target_pair is not None:
            if token_mode == 'single':
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
        self.actor_target_pair = actor_target_pair
        self._rng = random.Random(0)

        # --- MLLM (InternVL through transformers) + tokenizer ----------
        mllm = dict(mllm)
        seg_tokens = [actor_token] + ([self.target_token]
                                      if self.target_token else [])
        extra = [pt.IMG_START_TOKEN, pt.IMG_END_TOKEN, pt.IMG_CONTEXT_TOKEN
                 ] + pt.chat_special_tokens(chat_template) + seg_tokens
        tok_path = mllm.get('tokenizer') or mllm.get('pretrained')
        if tok_path is None:
            raise ValueError('model.mllm needs `tokenizer` (or `pretrained`).')
        self.tokenizer = build_tokenizer(tok_path, extra)
        self.tokenizer.padding_side = mllm.get('padding_side', 'right')
        self.mllm = build_internvl(
            mllm.get('pretrained'), mllm.get('config'), self.tokenizer,
            pt.IMG_CONTEXT_TOKEN, mllm.get('torch_dtype', 'float32'),
            mllm.get('attn_implementation'))
        # vision encoder + LLM frozen (Sec. 4.1)
        self.mllm.requires_grad_(not freeze_mllm)
        lm = self.mllm.model.language_model
        if lora is not None:
            add_lora(lm, lora['r'], lora['alpha'], lora['dropout'],
                     lora['target_modules'])
            for n, p in lm.named_parameters():
                if 'lora_' in n:
                    p.requires_grad_(True)
        if train_token_embeddings:
            self.mllm.get_input_embeddings().requires_grad_(True)
            self.mllm.get_output_embeddings().requires_grad_(True)
        self.tokens_per_frame = image_tokens_per_frame(self.mllm)
        self.mllm_size = mllm_image_size(self.mllm)
        self.actor_id = self.tokenizer.convert_tokens_to_ids(actor_token)
        self.target_id = (self.tokenizer.convert_tokens_to_ids(
            self.target_token) if self.target_token else None)
        self.image_token_id = self.tokenizer.convert_tokens_to_ids(
            pt.IMG_CONTEXT_TOKEN)
        self.stop_id = self.tokenizer.convert_tokens_to_ids(
            pt.answer_suffix(chat_template))

        # --- SAM2: image encoder frozen, mask decoder trained -----------
        self.text_encoder = None
        if expression_encoder is not None:
            self.text_encoder = MODELS.build(expression_encoder)
            if sam2.get('prompt_mask_head') is not None:
                sam2 = dict(sam2, prompt_head_text_channels=int(
                    self.text_encoder.hidden_size))
        self.target_context_for_actor = target_context_for_actor
        self.target_context_radii = tuple(float(r)
                                          for r in target_context_radii)
        if self.target_context_radii and not target_context_for_actor:
            raise ValueError('target_context_radii shapes the context of '
                             'target_context_for_actor: set both.')
        self.target_context_window = int(target_context_window)
        if self.target_context_window and not target_context_for_actor:
            raise ValueError('target_context_window shapes the context of '
                             'target_context_for_actor: set both.')
        if self.target_context_window < 0 or (
                self.target_context_window
                and self.target_context_window % 2 == 0):
            raise ValueError('target_context_window must be 0 (off) or an '
                             f'odd number of frames, got '
                             f'{target_context_window}.')
        self.target_context_past = int(target_context_past)
        if self.target_context_past < 0:
            raise ValueError('target_context_past must be 0 (off) or a '
                             f'number of frames, got {target_context_past}.')
        if self.target_context_past and not target_context_for_actor:
            raise ValueError('target_context_past shapes the context of '
                             'target_context_for_actor: set both.')
        if target_context_for_actor:
            if token_mode == 'single':
                raise ValueError(
                    "target_context_for_actor reads the [SEG_TAR] mask; "
                    "token_mode='single' has none: set "
                    'target_context_for_actor=False.')
            if sam2.get('prompt_mask_head') is None:
                raise ValueError(
                    'target_context_for_actor feeds the target mask to '
                    'model.sam2.prompt_mask_head: set one (or '
                    'target_context_for_actor=False).')
            sam2 = dict(sam2, prompt_head_context=(
                1 + len(self.target_context_radii)) * (
                    1 + bool(target_context_window) +
                    bool(self.target_context_past)),
                prompt_head_context_prior=target_context_prior)
        elif target_context_prior:
            raise ValueError('target_context_prior reads the context of '
                             'target_context_for_actor: set both.')
        self.sam2 = ReVIOsASAM2(**sam2)
        if (self.sam2.prompt_head is not None
                and video_inference == 'propagate'):
            raise ValueError(
                "model.sam2.prompt_mask_head decodes frames without SAM2's "
                "memory: use video_inference='per_frame' with it (or "
                'prompt_mask_head=None).')
        sam = self.sam2.sam
        sam.requires_grad_(False)
        sam.sam_mask_decoder.requires_grad_(True)
        if (self.sam2.image_encoder_type == 'hiera'
                and not self.sam2.freeze_image_encoder):
            # random-init CPU configs: ``freeze_image_encoder=False`` must
            # really train the Hiera trunk + neck (it stayed frozen before)
            sam.image_encoder.requires_grad_(True)
        self.projector = ReVIOsASegTokenProjector(
            self.mllm.config.text_config.hidden_size, self.sam2.hidden_dim)
        if self.text_encoder is not None:
            from torch import nn
            self.text_proj = nn.Linear(self.text_encoder.hidden_size,
                                       self.sam2.hidden_dim)
        self.role_word_attention = None
        if role_word_positions and not role_word_attention:
            raise ValueError('role_word_positions adds positions to the '
                             'keys of role_word_attention: set both.')
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

    # ------------------------------------------------------------------
    # helpers
    def encode_expressions(self, expressions: Sequence[str]
                           ) -> Optional[Dict[str, torch.Tensor]]:
        """Frozen pretrained word states of the expressions (None without
        ``expression_encoder``): ``hidden`` (B, L, C_t), ``mask`` (B, L),
        ``pooled`` (B, C_t)."""
        if self.text_encoder is None:
            return None
        with torch.no_grad():
            return self.text_encoder(list(expressions))

    def build_prompt(self, seg_hidden: torch.Tensor,
                     text: Optional[Dict[str, torch.Tensor]] = None,
                     index: int = 0) -> torch.Tensor:
        """SAM2 prompt of one seg token.

        Args:
            seg_hidden (Tensor): (1, C_llm) last-layer state at the token.
            text (dict, optional): :meth:`encode_expressions` output.
            index (int): row of ``text`` (the token's expression).

        Returns:
            Tensor: (1, P, C) -- P = 1 (the projected seg state, the paper)
            or 1 + L with ``expression_encoder``: the seg state plus the
            projected pooled expression, then the projected word states.
        """
        prompt = self.projector(seg_hidden)
        if text is None:
            return prompt
        dtype = self.text_proj.weight.dtype
        words = text['hidden'][index][text['mask'][index]].to(dtype)
        pooled = text['pooled'][index:index + 1].to(dtype)
        first = prompt + self.text_proj(pooled)[:, None]
        return torch.cat([first, self.text_proj(words)[None]], dim=1)

    def build_head_text(self, seg_hidden: torch.Tensor,
                        text: Optional[Dict[str, torch.Tensor]],
                        index: int = 0,
                        role_index: int = 0) -> Optional[dict]:
        """Text of the prompt-conditioned mask head for one seg token.

        Baseline-style conditioning (``RVOSTextFPNMaskHead`` on frozen
        pretrained word states) plus the role: the projected seg-token
        state ``MLP(h_seg)`` is concatenated to the pooled text and
        to every word state. With ``role_word_attention`` the pooled text
        is the role-weighted word mean and the word states are gated by
        the role's weights. None without ``expression_encoder`` or without
        a prompt mask head (the head then reads the prompt tokens).

        Args:
            seg_hidden (Tensor): (1, C_llm) last-layer state at the token.
            text (dict, optional): :meth:`encode_expressions` output.
            index (int): row of ``text``.
            role_index (int): 0 for the actor token, 1 for the target token
                (read by ``role_word_attention`` with ``num_roles``).

        Returns:
            dict | None: ``hidden`` (1, L, C_t + C), ``mask`` (1, L),
            ``pooled`` (1, C_t + C).
        """
        if text is None or self.sam2.prompt_head is None:
            return None
        seg = self.projector(seg_hidden)[:, 0]  # (1, C)
        words = text['hidden'][index:index + 1].to(seg.dtype)
        mask = text['mask'][index:index + 1]
        pooled = text['pooled'][index:index + 1].to(seg.dtype)
        if self.role_word_attention is not None:
            pooled, gate = self.role_word_attention(seg, words, mask,
                                                    role_index)
            words = words * gate[..., None]
        length = words.size(1)
        return dict(
            hidden=torch.cat([words, seg[:, None].expand(-1, length, -1)],
                             dim=-1),
            mask=mask,
            pooled=torch.cat([pooled, seg], dim=-1))

    def actor_context(self, target_mask: torch.Tensor,
                      frame_inds: Optional[Sequence[int]] = None
                      ) -> torch.Tensor:
        """Context of the actor's head.

        Args:
            target_mask (Tensor): (T, 1, H, W) target mask in [0, 1].
            frame_inds (Sequence[int], optional): video frame index of each
                mask; required with ``target_context_window`` or
                ``target_context_past``.

        Returns:
            Tensor: (T, K, H, W): the mask and its R proximity maps; with
            ``target_context_window`` also the mask's union over the window
            (:func:`temporal_max`) and its R proximity maps; with
            ``target_context_past`` also the mask D frames earlier
            (:func:`past_frames`) and its R proximity maps. K = (1 + R)
            times the number of these maps.
        """
        maps = [target_mask]
        if (self.target_context_window or self.target_context_past) and \
                frame_inds is None:
            raise ValueError(
                'target_context_window / target_context_past need the frame '
                "indices of the clip (metainfo 'frame_inds', set by "
                'PackRVOSInputs).')
        if self.target_context_window:
            maps.append(temporal_max(target_mask, frame_inds,
                                     self.target_context_window))
        if self.target_context_past:
            maps.append(past_frames(target_mask, frame_inds,
                                    self.target_context_past))
        out = []
        for m in maps:
            out.append(m)
            if self.target_context_radii:
                out.append(proximity_maps(m, self.target_context_radii))
        return torch.cat(out, dim=1)

    def _device(self) -> torch.device:
        return self.projector.mlp[0].weight.device

    @staticmethod
    def _crop(clip: torch.Tensor, sample) -> torch.Tensor:
        """Remove batch padding: (T, C, H_pad, W_pad) -> (T, C, h, w)."""
        h, w = sample.metainfo.get('img_shape', clip.shape[-2:])[:2]
        return clip[..., :h, :w]

    def _mllm_pixels(self, frames: torch.Tensor) -> torch.Tensor:
        """(F, 3, h, w) normalised frames -> (F, 3, S, S) MLLM input."""
        x = F.interpolate(frames.float(), size=(self.mllm_size,
                                                self.mllm_size),
                          mode='bilinear', align_corners=False)
        return x.to(self.mllm.dtype)

    def _tokenize(self, text: str) -> List[int]:
        return self.tokenizer(text, add_special_tokens=False)['input_ids']

    def _prompt(self, question: str, num_frames: int) -> str:
        return pt.build_prompt(question, num_frames, self.tokens_per_frame,
                               self.chat_template)

    def _pad(self, seqs: List[List[int]], labels: List[List[int]]):
        """Pad to a batch honouring ``tokenizer.padding_side``."""
        length = max(len(s) for s in seqs)
        pad_id = self.tokenizer.pad_token_id
        left = self.tokenizer.padding_side == 'left'
        ids, lab, mask = [], [], []
        for s, lb in zip(seqs, labels):
            n = length - len(s)
            if left:
                ids.append([pad_id] * n + s)
                lab.append([-100] * n + lb)
                mask.append([0] * n + [1] * len(s))
            else:
                ids.append(s + [pad_id] * n)
                lab.append(lb + [-100] * n)
                mask.append([1] * len(s) + [0] * n)
        dev = self._device()
        ids = torch.tensor(ids, device=dev)
        mask = torch.tensor(mask, device=dev)
        pos = (mask.cumsum(1) - 1).clamp_min(0)
        return ids, torch.tensor(lab, device=dev), mask, pos

    def _training_sequences(self, sample) -> List[dict]:
        """Conversation(s) of one sample for the current token mode.

        Returns:
            list[dict]: ``question, answer, actor (bool), target (bool)``;
            ``target`` is True only when the target mask is supervised.
        """
        meta = sample.metainfo
        has_target = bool(meta.get('has_target', False))
        question = pt.build_question(meta['expression'], self._rng,
                                     self.postfix_prob)
        if self.token_mode == 'single':
            return [dict(question=question, actor=True, target=False,
                         answer=pt.build_answer(False, self.actor_token,
                                                None))]
        if self.token_mode == 'joint':
            return [dict(question=question, actor=True, target=has_target,
                         answer=pt.build_answer(has_target, self.actor_token,
                                                self.target_token))]
        tq = f'{question} {self.target_query}'
        return [
            dict(question=question, actor=True, target=False,
                 answer=pt.build_answer(False, self.actor_token, None)),
            dict(question=tq, actor=False, target=has_target,
                 answer=(pt.ACTOR_ANSWER.format(act=self.target_token)
                         if has_target else self.no_target_answer)),
        ]

    def _zero_for_ddp(self) -> torch.Tensor:
        """0 * sum of every trainable parameter (Sa2VA's DDP pattern)."""
        return sum(p.sum() * 0 for p in self.parameters() if p.requires_grad)

    # ------------------------------------------------------------------
    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict:
        """Joint actor-target training (Sec. 4.2-4.3).

        Args:
            inputs (Tensor): (B, T, 3, H, W) normalised frames.
            data_samples (list[TrackDataSample]): with ``gt_mask`` and
                ``gt_target_mask`` per frame, metainfo ``expression``,
                ``has_target``, ``img_shape``.

        Returns:
            dict: ``loss_lm``, ``loss_act_bce``, ``loss_act_dice``,
            ``loss_tar_bce``, ``loss_tar_dice`` (+ ``loss_attn``).
        """
        seqs, labels, owners, pixels = [], [], [], []
        frames_per_sample = []
        for b, sample in enumerate(data_samples):
            clip = self._crop(inputs[b], sample)
            frames_per_sample.append(clip)
            for conv in self._training_sequences(sample):
                prompt = self._tokenize(self._prompt(conv['question'],
                                                     clip.size(0)))
                answer = self._tokenize(conv['answer'] +
                                        pt.answer_suffix(self.chat_template))
                seqs.append(prompt + answer)
                labels.append([-100] * len(prompt) + answer)
                owners.append(dict(conv, sample=b))
                pixels.append(self._mllm_pixels(clip))
        ids, lab, mask, pos = self._pad(seqs, labels)
        text = self.encode_expressions(
            [s.metainfo['expression'] for s in data_samples])
        # base model -> last-layer (normed) hidden states; the LM head runs
        # only where a label exists (the answer), not over the vocabulary at
        # every frame token
        out = self.mllm.model(
            input_ids=ids, attention_mask=mask, position_ids=pos,
            pixel_values=torch.cat(pixels),
            output_attentions=self.attn_loss is not None, use_cache=False)
        hidden = out.last_hidden_state  # (S, L, C)
        targets = lab[:, 1:]
        keep = targets != -100
        logits = self.mllm.lm_head(hidden[:, :-1][keep]).float()
        loss_lm = F.cross_entropy(logits, targets[keep])

        # SAM2 features of every frame of the batch, once.
        num_t = [c.size(0) for c in frames_per_sample]
        sizes = [c.shape[-2:] for c in frames_per_sample]
        if len({tuple(s) for s in sizes}) == 1:
            feats = [self.sam2.encode(torch.cat(frames_per_sample))]
            offsets = np.cumsum([0] + num_t[:-1]).tolist()
            feat_of = [(0, o) for o in offsets]
        else:
            feats = [self.sam2.encode(c) for c in frames_per_sample]
            feat_of = [(i, 0) for i in range(len(frames_per_sample))]

        losses = dict(loss_lm=loss_lm * self.loss_lm_weight +
                      self._zero_for_ddp())
        roles = [('act', self.actor_id, 'gt_mask', 'actor')]
        if self.target_id is not None:
            roles.append(('tar', self.target_id, 'gt_target_mask', 'target'))
        preds: Dict[str, Dict[int, torch.Tensor]] = {}
        for name, token_id, gt_key, flag in roles:
            emb, found = first_token_hidden(hidden, ids, token_id, mask)
            bce_all, dice_all = [], []
            preds[name] = {}
            for s, own in enumerate(owners):
                if not own[flag]:
                    continue  # exactly zero weight: no loss term at all
                if not found[s]:
                    raise RuntimeError(
                        f'{self.tokenizer.convert_ids_to_tokens(token_id)} '
                        'is missing from a training answer: the tokenizer '
                        'splits it; add it as a special token.')
                b = own['sample']
                fi, off = feat_of[b]
                t = num_t[b]
                prompt = self.build_prompt(emb[s:s + 1], text, b)
                head_text = self.build_head_text(emb[s:s + 1], text, b,
                                                 int(name == 'tar'))
                prompt = prompt.expand(t, -1, -1)
                inds = torch.arange(off, off + t, device=prompt.device)
                context = None
                if (self.target_context_for_actor and name == 'act'
                        and data_samples[b].metainfo.get('has_target')):
                    # teacher forcing: the GT target mask of the clip
                    context = self.actor_context(
                        self._crop(stack_frame_masks(data_samples[b],
                                                     'gt_target_mask'),
                                   data_samples[b]).to(
                                       prompt.device)[:, None].float(),
                        data_samples[b].metainfo.get('frame_inds'))
                low = self.sam2.segment_frames(feats[fi], prompt, inds,
                                               head_text, context)
                gt = self._crop(stack_frame_masks(data_samples[b], gt_key),
                                data_samples[b]).to(low.device)
                pred = F.interpolate(low, size=gt.shape[-2:],
                                     mode='bilinear',
                                     align_corners=False)[:, 0]
                preds[name][b] = pred
                bce, dice = mask_losses(pred, gt, self.loss_bce_weight,
                                        self.loss_dice_weight,
                                        self.dice_eps, self.num_points)
                bce_all.append(bce)
                dice_all.append(dice)
            if bce_all:
                losses[f'loss_{name}_bce'] = torch.cat(bce_all).mean()
                losses[f'loss_{name}_dice'] = torch.cat(dice_all).mean()
            else:
                zero = hidden.sum() * 0
                losses[f'loss_{name}_bce'] = zero
                losses[f'loss_{name}_dice'] = zero
        if self.loss_overlap_weight > 0 and 'tar' in preds:
            both = sorted(set(preds['act']) & set(preds['tar']))
            losses['loss_overlap'] = self.loss_overlap_weight * (
                torch.stack([
                    actor_target_overlap_loss(preds['act'][b],
                                              preds['tar'][b]) for b in both
                ]).mean() if both else hidden.sum() * 0)
        if self.attn_loss is not None:
            losses['loss_attn'] = self._attention_loss(
                out.attentions, ids, mask, owners, data_samples)
        return losses

    def _attention_loss(self, attentions, ids, mask, owners,
                        data_samples) -> torch.Tensor:
        """Released attention-map loss on the actor token (option)."""
        if attentions is None or attentions[0] is None:
            raise RuntimeError(
                'attn_loss needs attention weights: set '
                "model.mllm.attn_implementation='eager'.")
        cfg = self.attn_loss
        layers = cfg.get('layers', [-1])
        heads = cfg.get('heads')
        att = torch.stack([attentions[i] for i in layers]).float()
        att = att[:, :, heads] if heads is not None else att
        att = att.mean(dim=(0, 2))  # (S, L, L)
        terms = []
        for s, own in enumerate(owners):
            if not own['actor']:
                continue
            pos = ((ids[s] == self.actor_id) & mask[s].bool()).nonzero()
            img = ((ids[s] == self.image_token_id)
                   & mask[s].bool()).nonzero()[:, 0]
            row = att[s, pos[0, 0], img].reshape(-1, self.tokens_per_frame)
            b = own['sample']
            gt = self._crop(stack_frame_masks(data_samples[b], 'gt_mask'),
                            data_samples[b]).to(row.device)
            terms.append(attention_map_loss(row, gt))
        return cfg.get('weight', 1.0) * torch.stack(terms).mean()

    # ------------------------------------------------------------------
    @torch.no_grad()
    def _seg_embeddings(self, question: str, pixels: torch.Tensor
                        ) -> Dict[str, Optional[torch.Tensor]]:
        """Generate an answer greedily, then read the seg-token states.

        After generation, prompt + answer run once more teacher-forced, so
        the hidden state at each seg token is taken exactly as in training.

        Returns:
            dict: ``act``/``tar`` -> (1, C) hidden state or None (no token
            generated), ``answer`` -> decoded text.
        """
        prompt = self._prompt(question, pixels.size(0))
        ids = torch.tensor([self._tokenize(prompt)], device=self._device())
        mask = torch.ones_like(ids)
        gen = self.mllm.generate(
            input_ids=ids, attention_mask=mask, pixel_values=pixels,
            max_new_tokens=self.max_new_tokens, do_sample=False,
            eos_token_id=self.stop_id,
            pad_token_id=self.tokenizer.pad_token_id)
        full = gen[:, :]
        fmask = torch.ones_like(full)
        out = self.mllm(input_ids=full, attention_mask=fmask,
                        pixel_values=pixels, output_hidden_states=True,
                        use_cache=False)
        hidden = out.hidden_states[-1]
        answer_ids = full[:, ids.size(1):]
        result = dict(answer=self.tokenizer.decode(answer_ids[0]))
        # only tokens of the generated answer count
        answer_mask = torch.zeros_like(full)
        answer_mask[:, ids.size(1):] = 1
        for name, tid in (('act', self.actor_id), ('tar', self.target_id)):
            if tid is None:
                result[name] = None
                continue
            emb, found = first_token_hidden(hidden, full, tid, answer_mask)
            result[name] = emb if bool(found[0]) else None
        return result

    @torch.no_grad()
    def _segment_video(self, frames: torch.Tensor, emb: torch.Tensor,
                       cond: Sequence[int],
                       text: Optional[dict] = None,
                       context: Optional[torch.Tensor] = None,
                       role_index: int = 0) -> torch.Tensor:
        """Mask logits of every frame, (T, h, w), on the model device."""
        prompt = self.build_prompt(emb, text, 0)
        head_text = self.build_head_text(emb, text, 0, role_index)
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

    def _to_ori(self, logits: Optional[torch.Tensor], num_frames: int,
                ori_shape) -> torch.Tensor:
        """Threshold and resize to ``ori_shape``: (T, H_ori, W_ori) bool
        masks and their (T,) scores (mean probability inside the mask)."""
        if logits is None:
            return (torch.zeros((num_frames, *ori_shape), dtype=torch.bool,
                                device=self._device()),
                    torch.zeros(num_frames))
        up = F.interpolate(logits[:, None].float(), size=tuple(ori_shape),
                           mode='bilinear', align_corners=False)[:, 0]
        prob = up.sigmoid()
        masks = prob > self.mask_threshold
        return masks, mask_scores(prob, masks)

    def predict(self, inputs: torch.Tensor, data_samples: list) -> list:
        """Video inference; writes ``pred_mask`` (+ ``pred_target_mask``).

        The MLLM sees ``num_mllm_frames`` frames chosen by ``frame_policy``;
        SAM2 segments all frames (memory propagation from those frames, or
        per frame). No seg token generated -> empty mask.

        Args:
            inputs (Tensor): (B, T, 3, H, W) normalised frames.
            data_samples (list[TrackDataSample]): metainfo ``expression``,
                ``img_shape``, ``ori_shape``.
        """
        for b, sample in enumerate(data_samples):
            clip = self._crop(inputs[b], sample)
            if self.offload_frames:
                clip = clip.cpu()
            num_frames = clip.size(0)
            ori = sample.metainfo.get('ori_shape', clip.shape[-2:])[:2]
            cond = select_mllm_frames(num_frames, self.num_mllm_frames,
                                      self.frame_policy)
            pixels = self._mllm_pixels(clip[cond].to(self._device()))
            question = pt.build_eval_question(sample.metainfo['expression'],
                                              self.eval_postfix)
            res = self._seg_embeddings(question, pixels)
            answers = [res['answer']]
            if self.token_mode == 'independent':
                res_t = self._seg_embeddings(
                    f'{question} {self.target_query}', pixels)
                res['tar'] = res_t['tar']
                answers.append(res_t['answer'])
            text = self.encode_expressions([sample.metainfo['expression']])
            tar = None
            if self.target_id is not None:
                tar = None if res['tar'] is None else self._segment_video(
                    clip, res['tar'], cond, text, role_index=1)
            context = None
            if self.target_context_for_actor and tar is not None:
                # the predicted target mask (binarised as it is output)
                context = self.actor_context(
                    (tar.sigmoid() > self.mask_threshold).float()[:, None],
                    sample.metainfo.get('frame_inds'))
            act = None if res['act'] is None else self._segment_video(
                clip, res['act'], cond, text, context)
            if act is not None and tar is not None:
                # inference-only rules that read both roles' logits
                if self.actor_nearest_component:
                    act = keep_nearest_component(act, tar,
                                                 self.mask_threshold)
                if self.actor_target_pair is not None:
                    act, tar = select_actor_target_pair(
                        act, tar, mask_threshold=self.mask_threshold,
                        **self.actor_target_pair)
                if self.exclusive_actor_target:
                    act, tar = exclusive_logits(act, tar,
                                                self.mask_threshold)
            if self.target_id is not None:
                set_frame_masks(sample, 'pred_target_mask',
                                *self._to_ori(tar, num_frames, ori))
            set_frame_masks(sample, 'pred_mask',
                            *self._to_ori(act, num_frames, ori))
            sample.set_metainfo(dict(pred_answer=answers,
                                     mllm_frame_inds=cond))
        return data_samples

    def _forward(self, inputs: torch.Tensor, data_samples: list = None):
        """``tensor`` mode: the seg-token prompt embeddings of the
        evaluation prompt, one dict per sample (no SAM2 decoding)."""
        outs = []
        for b, sample in enumerate(data_samples):
            clip = self._crop(inputs[b], sample)
            cond = select_mllm_frames(clip.size(0), self.num_mllm_frames,
                                      self.frame_policy)
            res = self._seg_embeddings(
                pt.build_eval_question(sample.metainfo['expression'],
                                       self.eval_postfix),
                self._mllm_pixels(clip[cond].to(self._device())))
            outs.append({k: v for k, v in res.items()})
        return outs

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        if mode == 'loss':
            if not all(has_frame_masks(s, 'gt_mask') for s in data_samples):
                raise ValueError('ReVIOsA training needs gt_mask on every '
                                 'frame (LoadRVOSMasks in the pipeline).')
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode {mode!r}; use loss, predict or '
                           'tensor.')
