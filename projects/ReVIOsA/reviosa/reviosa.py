"""ReVIOsA: InternVL MLLM + SAM2 with actor/target seg tokens (InterRVOS
Sec. 4, App. A, Fig. 5); released-code facts in ``shared/notes/FORMATS.md``,
design choices in ``docs/decisions/reviosa.md``.

The CPU recipe's levers (not in the paper) live in ``cpu_recipe/`` and plug
into the ``_build_sam2`` / ``_freeze_mllm`` / ``_expression_features`` /
``_decode_train`` / ``_extra_losses`` / ``_decode_roles`` methods below.
"""
import random
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from rvos_plugin.registry import MODELS
from rvos_plugin.structures.rvos_sample import (has_frame_masks,
                                                mask_scores,
                                                set_frame_masks,
                                                stack_frame_masks)
from . import prompt_templates as pt
from .losses import mask_losses, point_seed, seg_token_attention_loss
from .mllm import (add_lora, build_internvl, build_tokenizer,
                   image_tokens_per_frame, mllm_image_size)
from .sam2_adapter import ReVIOsASAM2
from .seg_token_head import ReVIOsASegTokenProjector, first_token_hidden
from .sequences import (FRAME_POLICIES, pad_batch,  # noqa: F401
                        select_mllm_frames, training_conversations)
from .token_rows import token_row_mode, train_token_rows

TOKEN_MODES = ('joint', 'independent', 'single')
VIDEO_INFERENCE = ('propagate', 'per_frame')


@MODELS.register_module()
class ReVIOsA(BaseModel):
    """Referring Video Interaction-aware Object Segmentation (Sec. 4).

    Args:
        mllm (dict): ``pretrained`` (local HF-format InternVL folder) or
            ``config`` (``InternVLConfig`` kwargs, random init), plus
            ``tokenizer`` (defaults to ``pretrained``; ``package:`` paths
            allowed), ``torch_dtype``, ``attn_implementation``,
            ``padding_side``.
        sam2 (dict): kwargs of :class:`ReVIOsASAM2`.
        actor_token, target_token (str): seg token names (``[SEG_ACT]`` /
            ``[SEG_TAR]``; released checkpoints ``[SEG]`` / ``[SEG_OBJ]``).
        token_mode (str): Table 6: ``'joint'`` (c, default), ``'independent'``
            (b: actor and target in separate sequences), ``'single'`` (a).
        chat_template (str): ``'qwen_chat'`` (1B, 4B) or ``'phi3_chat'``.
        lora (dict): ``r, alpha, dropout, target_modules`` (released: 128,
            256, 0.05); None disables LoRA.
        train_token_embeddings (str | bool): ``'new_tokens'`` (default: only
            the seg tokens' embedding and lm_head rows, :class:`NewTokenRows`),
            ``'all'`` / True (every row, released code), ``'none'`` / False
            (LoRA and the SAM2 decoder only, Sec. 4.1's wording).
        num_mllm_frames (int): frames the MLLM sees at inference (5).
        frame_policy (str): ``'first'`` | ``'uniform'``.
        video_inference (str): ``'propagate'`` (SAM2 memory from the MLLM's
            frames) | ``'per_frame'`` (no memory; released, real configs).
        loss_lm_weight, loss_bce_weight, loss_dice_weight, dice_eps (float):
            1.0, 2.0, 0.5, 1.0 (released code).
        num_points (int, optional): None = per-pixel mask losses; 12544 =
            released point-sampled losses.
        attn_loss (dict, optional): released attention-map loss (not in the
            paper), off by default: ``dict(weight=1.0, layers=[-1],
            heads=None)``; needs ``mllm.attn_implementation='eager'``.
        postfix_prob (float): chance of an actor-target postfix in a
            training question; ``eval_postfix`` the evaluation one.
        target_query, no_target_answer (str): ``'independent'`` mode.
        max_new_tokens (int): generation budget at inference.
        mask_threshold (float): sigmoid threshold (0.5).
        offload_frames (bool): video frames stay on the CPU in inference;
            ``frame_chunk`` frames go to the device per SAM2 encoder call.
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
                 train_token_embeddings: Union[str, bool] = 'new_tokens',
                 num_mllm_frames: int = 5,
                 frame_policy: str = 'first',
                 video_inference: str = 'propagate',
                 loss_lm_weight: float = 1.0,
                 loss_bce_weight: float = 2.0,
                 loss_dice_weight: float = 0.5,
                 dice_eps: float = 1.0,
                 num_points: Optional[int] = None,
                 attn_loss: Optional[dict] = None,
                 postfix_prob: float = 1.0,
                 eval_postfix: Optional[str] = pt.POSTFIXES[2],
                 target_query: str = 'Please segment the target of this '
                 'interaction.',
                 no_target_answer: str = 'There is no target.',
                 max_new_tokens: int = 16,
                 mask_threshold: float = 0.5,
                 offload_frames: bool = True,
                 frame_chunk: int = 8,
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
        self.token_rows = token_row_mode(train_token_embeddings)
        self.num_mllm_frames, self.frame_policy = num_mllm_frames, frame_policy
        self.video_inference = video_inference
        self.loss_lm_weight = loss_lm_weight
        self.loss_bce_weight, self.loss_dice_weight = (loss_bce_weight,
                                                       loss_dice_weight)
        self.dice_eps, self.num_points = dice_eps, num_points
        self.attn_loss = attn_loss
        self.postfix_prob, self.eval_postfix = postfix_prob, eval_postfix
        self.target_query = target_query
        self.no_target_answer = no_target_answer
        self.max_new_tokens = max_new_tokens
        self.mask_threshold = mask_threshold
        self.offload_frames, self.frame_chunk = offload_frames, frame_chunk
        self._rng = random.Random(0)

        # --- MLLM (InternVL through transformers) + tokenizer (Sec. 4.1) --
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
        self._freeze_mllm()
        if lora is not None:
            add_lora(self.mllm.model.language_model, lora['r'],
                     lora['alpha'], lora['dropout'], lora['target_modules'])
            for n, p in self.mllm.named_parameters():
                if 'lora_' in n:
                    p.requires_grad_(True)
        rows = train_token_rows(self.mllm, self.token_rows,
                                self.tokenizer.convert_tokens_to_ids(
                                    seg_tokens), prefix='mllm.')
        if rows is not None:  # 'new_tokens'
            self.new_token_rows = rows
            self._register_load_state_dict_pre_hook(rows.fill_missing)
        self.tokens_per_frame = image_tokens_per_frame(self.mllm)
        self.mllm_size = mllm_image_size(self.mllm)
        self.actor_id = self.tokenizer.convert_tokens_to_ids(actor_token)
        self.target_id = (self.tokenizer.convert_tokens_to_ids(
            self.target_token) if self.target_token else None)
        self.image_token_id = self.tokenizer.convert_tokens_to_ids(
            pt.IMG_CONTEXT_TOKEN)
        self.stop_id = self.tokenizer.convert_tokens_to_ids(
            pt.answer_suffix(chat_template))

        # --- SAM2: image encoder frozen, mask decoder trained (Sec. 4.1) --
        self.sam2 = self._build_sam2(dict(sam2))
        sam = self.sam2.sam
        sam.requires_grad_(False)
        sam.sam_mask_decoder.requires_grad_(True)
        if not self.sam2.freeze_image_encoder:
            sam.image_encoder.requires_grad_(True)  # random-init runs only
        # seg-token hidden state -> SAM2 prompt (Sec. 4.2)
        self.projector = ReVIOsASegTokenProjector(
            self.mllm.config.text_config.hidden_size, self.sam2.hidden_dim)

    # ------------------------------------------------------------------
    # extension points (the paper's behaviour; cpu_recipe/ overrides them)
    def _freeze_mllm(self) -> None:
        """Vision encoder and LLM frozen (Sec. 4.1)."""
        self.mllm.requires_grad_(False)

    def _build_sam2(self, cfg: dict) -> ReVIOsASAM2:
        return ReVIOsASAM2(**cfg)

    def _expression_features(self, expressions: Sequence[str]):
        return None  # per-expression features beside the seg token: none

    def _decode_train(self, feats: dict, seg_hidden: torch.Tensor,
                      frame_inds: torch.Tensor, sample_index: int,
                      role: str, data_samples: list,
                      text=None) -> torch.Tensor:
        """(T, 1, h, w) training logits of one seg token (``seg_hidden``,
        (1, C_llm); ``role`` 'act' | 'tar') on the rows ``frame_inds`` of
        the batch's SAM2 features ``feats`` (clip ``sample_index``)."""
        prompt = self.projector(seg_hidden).expand(len(frame_inds), -1, -1)
        return self.sam2.segment_frames(feats, prompt, frame_inds)

    def _extra_losses(self, preds: Dict[str, Dict[int, torch.Tensor]],
                      hidden: torch.Tensor) -> dict:
        return {}  # loss terms beyond Sec. 4.3: none

    def _decode_roles(self, clip: torch.Tensor, seg: dict,
                      cond: Sequence[int], sample) -> tuple:
        """(T, h, w) actor and target logits (None: token not generated)."""
        tar = None
        if self.target_id is not None and seg['tar'] is not None:
            tar = self._segment_video(clip, seg['tar'], cond)
        act = None if seg['act'] is None else self._segment_video(
            clip, seg['act'], cond)
        return act, tar

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

    def _zero_for_ddp(self) -> torch.Tensor:
        """0 * sum of every trainable parameter (Sa2VA's DDP pattern)."""
        return sum(p.sum() * 0 for p in self.parameters() if p.requires_grad)

    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict:
        """Joint actor-target training (Sec. 4.2-4.3): LM cross-entropy on
        the answer + BCE/Dice of each supervised seg token's masks.

        Args:
            inputs (Tensor): (B, T, 3, H, W) normalised frames.
            data_samples (list[TrackDataSample]): ``gt_mask`` and
                ``gt_target_mask`` per frame, metainfo ``expression``,
                ``has_target``, ``img_shape``.

        Returns:
            dict: ``loss_lm``, ``loss_{act,tar}_{bce,dice}`` (+
            ``loss_attn``).
        """
        seqs, labels, owners, pixels, clips = [], [], [], [], []
        for b, sample in enumerate(data_samples):
            clip = self._crop(inputs[b], sample)
            clips.append(clip)
            for conv in training_conversations(
                    sample.metainfo, self.token_mode, self.actor_token,
                    self.target_token, self._rng, self.postfix_prob,
                    self.target_query, self.no_target_answer):
                prompt = self._tokenize(self._prompt(conv['question'],
                                                     clip.size(0)))
                answer = self._tokenize(conv['answer'] +
                                        pt.answer_suffix(self.chat_template))
                seqs.append(prompt + answer)
                labels.append([-100] * len(prompt) + answer)
                owners.append(dict(conv, sample=b))
                pixels.append(self._mllm_pixels(clip))
        ids, lab, mask, pos = pad_batch(
            seqs, labels, self.tokenizer.pad_token_id,
            self.tokenizer.padding_side == 'left', self._device())
        text = self._expression_features(
            [s.metainfo['expression'] for s in data_samples])
        # last-layer hidden states; the LM head runs only where a label
        # exists (the answer), not over the vocabulary at every frame token
        out = self.mllm.model(
            input_ids=ids, attention_mask=mask, position_ids=pos,
            pixel_values=torch.cat(pixels),
            output_attentions=self.attn_loss is not None, use_cache=False)
        hidden = out.last_hidden_state  # (S, L, C)
        targets = lab[:, 1:]
        keep = targets != -100
        logits = self.mllm.lm_head(hidden[:, :-1][keep]).float()
        loss_lm = F.cross_entropy(logits, targets[keep])

        # SAM2 features of every frame of the batch, once
        num_t = [c.size(0) for c in clips]
        if len({tuple(c.shape[-2:]) for c in clips}) == 1:
            feats = [self.sam2.encode(torch.cat(clips))]
            feat_of = [(0, sum(num_t[:b])) for b in range(len(num_t))]
        else:
            feats = [self.sam2.encode(c) for c in clips]
            feat_of = [(i, 0) for i in range(len(clips))]

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
                inds = torch.arange(off, off + num_t[b], device=emb.device)
                low = self._decode_train(feats[fi], emb[s:s + 1], inds, b,
                                         name, data_samples, text)
                gt = self._crop(stack_frame_masks(data_samples[b], gt_key),
                                data_samples[b]).to(low.device)
                pred = F.interpolate(low, size=gt.shape[-2:],
                                     mode='bilinear',
                                     align_corners=False)[:, 0]
                preds[name][b] = pred
                bce, dice = mask_losses(pred, gt, self.loss_bce_weight,
                                        self.loss_dice_weight, self.dice_eps,
                                        self.num_points,
                                        point_seed(data_samples[b], name))
                bce_all.append(bce)
                dice_all.append(dice)
            zero = hidden.sum() * 0
            losses[f'loss_{name}_bce'] = (torch.cat(bce_all).mean()
                                          if bce_all else zero)
            losses[f'loss_{name}_dice'] = (torch.cat(dice_all).mean()
                                           if dice_all else zero)
        losses.update(self._extra_losses(preds, hidden))
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
        rows = [s for s, own in enumerate(owners) if own['actor']]
        gts = [self._crop(stack_frame_masks(data_samples[b], 'gt_mask'),
                          data_samples[b])
               for b in (owners[s]['sample'] for s in rows)]
        cfg = self.attn_loss
        return cfg.get('weight', 1.0) * seg_token_attention_loss(
            attentions, ids, mask, rows, gts, self.actor_id,
            self.image_token_id, self.tokens_per_frame,
            cfg.get('layers', [-1]), cfg.get('heads'))

    @torch.no_grad()
    def _seg_embeddings(self, question: str, pixels: torch.Tensor
                        ) -> Dict[str, Optional[torch.Tensor]]:
        """Greedy answer, then prompt + answer once more teacher-forced: the
        seg-token states are read exactly as in training. Returns ``act`` /
        ``tar`` (1, C) or None (not generated) and the ``answer`` text."""
        prompt = self._prompt(question, pixels.size(0))
        ids = torch.tensor([self._tokenize(prompt)], device=self._device())
        full = self.mllm.generate(
            input_ids=ids, attention_mask=torch.ones_like(ids),
            pixel_values=pixels, max_new_tokens=self.max_new_tokens,
            do_sample=False, eos_token_id=self.stop_id,
            pad_token_id=self.tokenizer.pad_token_id)
        out = self.mllm(input_ids=full, attention_mask=torch.ones_like(full),
                        pixel_values=pixels, output_hidden_states=True,
                        use_cache=False)
        hidden = out.hidden_states[-1]
        result = dict(answer=self.tokenizer.decode(full[0, ids.size(1):]))
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
    def _segment_video(self, frames: torch.Tensor, seg_hidden: torch.Tensor,
                       cond: Sequence[int]) -> torch.Tensor:
        """Mask logits of every frame, (T, h, w), on the model device:
        SAM2 memory propagation from the ``cond`` frames, or every frame
        prompted without memory (``video_inference='per_frame'``)."""
        prompt = self.projector(seg_hidden)
        out_size = frames.shape[-2:]
        if self.video_inference == 'propagate':
            return self.sam2.propagate(frames, prompt.float(), cond,
                                       out_size, self.frame_chunk)
        logits = []
        for start in range(0, frames.size(0), self.frame_chunk):
            chunk = frames[start:start + self.frame_chunk].to(self._device())
            low = self.sam2.segment_frames(
                self.sam2.encode(chunk), prompt.expand(chunk.size(0), -1, -1))
            logits.append(F.interpolate(low, size=out_size, mode='bilinear',
                                        align_corners=False)[:, 0])
        return torch.cat(logits)

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
        """Video inference; writes ``pred_mask`` (+ ``pred_target_mask``):
        the MLLM sees ``num_mllm_frames`` frames (``frame_policy``), SAM2
        segments all frames; no seg token generated -> empty mask.

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
            seg = self._seg_embeddings(question, pixels)
            answers = [seg['answer']]
            if self.token_mode == 'independent':
                seg_t = self._seg_embeddings(
                    f'{question} {self.target_query}', pixels)
                seg['tar'] = seg_t['tar']
                answers.append(seg_t['answer'])
            act, tar = self._decode_roles(clip, seg, cond, sample)
            if self.target_id is not None:
                set_frame_masks(sample, 'pred_target_mask',
                                *self._to_ori(tar, num_frames, ori))
            set_frame_masks(sample, 'pred_mask',
                            *self._to_ori(act, num_frames, ori))
            sample.set_metainfo(dict(pred_answer=answers,
                                     mllm_frame_inds=cond))
        return data_samples

    def _forward(self, inputs: torch.Tensor, data_samples: list = None):
        """``tensor`` mode: :meth:`_seg_embeddings` per sample."""
        outs = []
        for b, sample in enumerate(data_samples):
            clip = self._crop(inputs[b], sample)
            cond = select_mllm_frames(clip.size(0), self.num_mllm_frames,
                                      self.frame_policy)
            outs.append(self._seg_embeddings(
                pt.build_eval_question(sample.metainfo['expression'],
                                       self.eval_postfix),
                self._mllm_pixels(clip[cond].to(self._device()))))
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
