"""WSRVOS: weakly-supervised RVOS trained with text only (the full model).

Pipeline (paper Sec. 3.3-3.7): frozen block-wise visual/text encoders with
bi-directional feature selection after chosen blocks (``encoding.py``) ->
projections to D -> bi-directional interaction -> similarity maps ``s``
(B, T, Nv, E) -> MIL classification (Eq. (2)-(3)) + positive-prediction
fusion pseudo-masks M with Focal + Dice (Eq. (4)-(5)) + temporal segment
ranking of M (Eq. (6)); total Eq. (7). Inference (Sec. 3.7): the query alone
through the same encoders, its map thresholded and upsampled to
``ori_shape``.

Training reads only frames and the metainfo keys of ``slots.TRAIN_META_KEYS``
(never a ``gt_*`` field): the pipeline has already drawn the expressions
(``sampling.py``). No label enters the features: every slot conditions the
video alike (``condition_on='all_slots'``).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from torch import Tensor

from rvos_plugin.registry import MODELS, TASK_UTILS
from .encoding import BlockwiseEncoders, check_selection_points
from .feature_selection import masked_mean
from .inference import WSRVOSInferenceMixin
from .sampling import check_text
from .similarity import similarity_maps
from .slots import expression_slots

CONDITIONS = ('all_slots', 'positives', 'original')
TSR_TARGETS = ('pseudo_masks', 'soft_predictions')
CLS_TEXT = ('pre_interaction', 'post_interaction')


@MODELS.register_module()
class WSRVOS(WSRVOSInferenceMixin, BaseModel):
    """The WSRVOS model (paper defaults; released code / levers: switches).

    Args:
        vision_encoder (dict): Block-wise visual encoder, e.g.
            ``RVOSVideoSwin`` or ``RVOSEfficientNetLite``.
        text_encoder (dict): Block-wise text encoder, ``RVOSHFTextEncoder``.
        hidden_dim (int): D (Sec. 3.3: 1024); also the shared space of the
            selection's cosine scores.
        num_positives (int): P (Sec. 4.2: 6).
        num_negatives (int): N (Sec. 4.2: 48).
        selection_points (list[tuple[int, int]]): ``(visual block, text
            block)`` pairs, 1-based "after block" indices, increasing (Sec.
            4.2: 3/6/9/12). Empty: no selection (Tab. 5 row 1).
        selection (dict): ``WSRVOSFeatureSelection`` kwargs (k_v, k_z, l2v,
            v2l, scorer: ``'shared_cosine'`` paper / ``'released_linear'``).
        interaction (dict | None): ``WSRVOSBiDirectionalInteraction`` kwargs
            (``None``: no interaction, Tab. 6 row 1).
        similarity (str): ``'dot'`` (Sec. 3.4) or ``'cosine'`` (released).
        calibration (dict): ``WSRVOSSimilarityCalibration`` (levers).
        mil_head (dict | None): ``WSRVOSMILHead`` (``None``: w/o IEC).
        fusion (dict | None): ``WSRVOSPositivePredictionFusion`` (``None``:
            w/o PPF, Tab. 8).
        seg_loss (dict): ``WSRVOSPseudoMaskLoss`` (loss_weight = lambda_1).
        temporal_loss (dict | None): ``WSRVOSTemporalRankingLoss``
            (loss_weight = lambda_2; ``None``: w/o TSR).
        temporal_loss_on (str): ``'pseudo_masks'`` (Sec. 3.6: the pseudo-
            masks M, straight-through gradient) or ``'soft_predictions'``
            (each positive's sigmoid map; also used without the fusion).
        condition_on (str): Expressions whose selected tokens amplify the
            video and whose tokens the video attends to in training:
            ``'all_slots'`` (paper: F_Z of all P + N expressions),
            ``'positives'`` (released code: the labels enter the features)
            or ``'original'`` (lever: the input expression as an extra slot,
            exactly as at test).
        selection_condition_on (str, optional): Training slots whose
            selected tokens amplify the video at the selection points, when
            they differ from ``condition_on`` (released code:
            ``'all_slots'`` with ``condition_on='positives'``). ``None``:
            ``condition_on``.
        final_norm_after_selection (bool): Released code: the vision
            encoder's final norm after the selection at its last block.
        cls_text_features (str): ``W_cls^T`` of the MIL head: pooled F_Z
            ``'pre_interaction'`` (Sec. 3.4) or ``'post_interaction'``
            (released code: F'_Z).
        test_empty_slot_in_selection (bool): Released code: at test an
            empty sentence ``''`` (its evaluation pads the N negatives with
            ``''``; identical, so one stands for all) joins the selection
            condition; it is no slot of the map. Needs selection points.
        presence_contrast (dict | None): ``WSRVOSPresenceContrast`` kwargs
            (lever; ``None`` or ``enable=False``: off, the paper).
        pseudo_mask_from_presence (bool): Lever: binarise the fused map with
            the presence scalars instead of theta.
        test_threshold (float): Inference theta: 0.4 (Sec. 3.7); released 0.5.
        test_mode_presence (bool): Lever: presence logit > 0 at inference.
        mask_refinement (dict, optional): Lever, e.g.
            ``dict(type='PixelAdaptiveRefinement')``.
        inference_window (int, optional): Frames per forward at inference (a
            long video runs in consecutive windows); ``None``: all at once.
        warmup_iters (int): Tab. S4: only L_cls for the first iterations.
        num_vision_blocks (int, optional): Run only the first blocks of the
            vision encoder. ``None``: all blocks.
        text_cache_size (int): Speed only (frozen text encoder, no selection
            point): cached final text states. 0: off.
        data_preprocessor (dict, optional): Usually ``RVOSDataPreprocessor``.
    """

    def __init__(self,
                 vision_encoder: dict,
                 text_encoder: dict,
                 hidden_dim: int = 1024,
                 num_positives: int = 6,
                 num_negatives: int = 48,
                 selection_points: Sequence[Tuple[int, int]] = (
                     (3, 3), (6, 6), (9, 9), (12, 12)),
                 selection: Optional[dict] = None,
                 interaction: Optional[dict] = None,
                 similarity: str = 'dot',
                 calibration: Optional[dict] = None,
                 mil_head: Optional[dict] = None,
                 fusion: Optional[dict] = None,
                 seg_loss: Optional[dict] = None,
                 temporal_loss: Optional[dict] = None,
                 temporal_loss_on: str = 'pseudo_masks',
                 condition_on: str = 'all_slots',
                 selection_condition_on: Optional[str] = None,
                 final_norm_after_selection: bool = False,
                 cls_text_features: str = 'pre_interaction',
                 test_empty_slot_in_selection: bool = False,
                 presence_contrast: Optional[dict] = None,
                 pseudo_mask_from_presence: bool = False,
                 test_threshold: float = 0.4,
                 test_mode_presence: bool = False,
                 mask_refinement: Optional[dict] = None,
                 inference_window: Optional[int] = None,
                 warmup_iters: int = 0,
                 num_vision_blocks: Optional[int] = None,
                 text_cache_size: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        for name, value, allowed in (
                ('condition_on', condition_on, CONDITIONS),
                ('temporal_loss_on', temporal_loss_on, TSR_TARGETS),
                ('selection_condition_on', selection_condition_on,
                 (None, 'all_slots', 'positives')),
                ('cls_text_features', cls_text_features, CLS_TEXT)):
            if value not in allowed:
                raise ValueError(f'{name} must be one of {allowed}, got '
                                 f'{value!r}')
        if selection_condition_on and condition_on == 'original':
            raise ValueError("selection_condition_on needs condition_on "
                             "'all_slots' or 'positives'")
        if presence_contrast is not None and not presence_contrast.get(
                'enable', True):
            presence_contrast = None
        if (pseudo_mask_from_presence or test_mode_presence) and \
                presence_contrast is None:
            raise ValueError('pseudo_mask_from_presence/test_mode_presence '
                             'need presence_contrast=dict(...)')
        if inference_window is not None and inference_window < 1:
            raise ValueError('inference_window must be >= 1 or None')
        self.condition_on = condition_on
        self.selection_condition_on = selection_condition_on or condition_on
        self.cls_text_features = cls_text_features
        self.test_empty_slot_in_selection = test_empty_slot_in_selection
        if test_empty_slot_in_selection and not selection_points:
            raise ValueError('test_empty_slot_in_selection needs selection '
                             'points (the empty slot only selects)')
        self.temporal_loss_on = temporal_loss_on
        self.hidden_dim = hidden_dim
        self.num_positives = num_positives
        self.num_negatives = num_negatives
        self.similarity = similarity
        self.pseudo_mask_from_presence = pseudo_mask_from_presence
        self.test_threshold = test_threshold
        self.test_mode_presence = test_mode_presence
        self.inference_window = inference_window
        self.warmup_iters = warmup_iters
        self.cls_only = False  # set by WSRVOSWarmupHook (Tab. S4)
        self.vision_encoder = MODELS.build(vision_encoder)
        self.text_encoder = MODELS.build(text_encoder)
        v_ch = list(self.vision_encoder.block_channels)
        if num_vision_blocks is not None:
            if not 1 <= num_vision_blocks <= len(v_ch):
                raise ValueError(f'num_vision_blocks must be in 1..{len(v_ch)}'
                                 f', got {num_vision_blocks}')
            v_ch = v_ch[:num_vision_blocks]
        points = [tuple(p) for p in selection_points]
        check_selection_points(points, len(v_ch),
                               self.text_encoder.num_blocks)
        self.selection_points = points
        sel_cfg = dict(dict(shared_dim=hidden_dim), **(selection or {}))
        self.selectors = nn.ModuleList([
            MODELS.build(dict(type='WSRVOSFeatureSelection',
                              visual_channels=v_ch[vb - 1],
                              text_channels=self.text_encoder.hidden_size,
                              **sel_cfg)) for vb, _ in points])
        self.encoders = BlockwiseEncoders(
            self.vision_encoder, self.text_encoder, self.selectors, points,
            len(v_ch), text_cache_size, final_norm_after_selection)
        self.visual_proj = nn.Linear(v_ch[-1], hidden_dim)
        self.text_proj = nn.Linear(self.text_encoder.hidden_size, hidden_dim)
        self.interaction = None if interaction is None else MODELS.build(
            dict(type='WSRVOSBiDirectionalInteraction', dim=hidden_dim,
                 **interaction))
        self.calibration = MODELS.build(
            dict(type='WSRVOSSimilarityCalibration', **(calibration or {})))
        self.mil_head = None
        if mil_head is not None:
            self.mil_head = MODELS.build(dict(
                dict(type='WSRVOSMILHead', feat_dim=hidden_dim,
                     num_slots=num_positives + num_negatives), **mil_head))
        if fusion is not None and pseudo_mask_from_presence:
            fusion = dict(fusion, binarize='presence')
        self.fusion = None if fusion is None else TASK_UTILS.build(
            dict(dict(type='WSRVOSPositivePredictionFusion'), **fusion))
        self.seg_loss = MODELS.build(
            dict(dict(type='WSRVOSPseudoMaskLoss'), **(seg_loss or {})))
        self.temporal_loss = None if temporal_loss is None else MODELS.build(
            dict(dict(type='WSRVOSTemporalRankingLoss'), **temporal_loss))
        self.presence_head = None
        if presence_contrast is not None:
            pc = {k: v for k, v in presence_contrast.items() if k != 'enable'}
            self.presence_head = MODELS.build(dict(
                dict(type='WSRVOSPresenceContrast',
                     similarity=similarity), **pc))
        self.mask_refinement = None if mask_refinement is None else \
            MODELS.build(mask_refinement)
        # Tab. S4 warm-up counter: persistent, so --resume restores it
        self.register_buffer('_iter', torch.zeros((), dtype=torch.long))

    # ------------------------------------------------------------------
    # features
    # ------------------------------------------------------------------
    def forward_features(self, frames: Tensor, texts: List[List[str]],
                         condition: Tensor,
                         selection_condition: Optional[Tensor] = None,
                         allow_empty: bool = False) -> dict:
        """Encoders -> projections -> interaction -> similarity maps.

        Args:
            frames (Tensor): ``(B, T, 3, H, W)``.
            texts (list[list[str]]): ``B`` lists of ``E`` expressions.
            condition (Tensor): Bool ``(B, E)`` conditioning expressions.
            selection_condition (Tensor, optional): Bool ``(B, E)``
                expressions amplifying the video at the selection points
                (``None``: ``condition``).
            allow_empty (bool): Let ``''`` through the tokenizer.

        Returns:
            dict: ``visual`` ``F'_V`` (B, T, Nv, D); ``text`` pooled
            ``F'_Z`` (B, E, D); ``text_cls`` pooled ``F_Z`` (B, E, D) (the
            W_cls^T); ``raw_sim`` and ``sim`` (B, T, Nv, E); ``grid``.
        """
        v, z, tmask, grid = self.encoders(
            frames, texts,
            condition if selection_condition is None else selection_condition,
            allow_empty=allow_empty)
        B, T, Nv, _ = v.shape
        fv = self.visual_proj(v).reshape(B, T * Nv, self.hidden_dim)
        fz = self.text_proj(z)
        text_cls = masked_mean(fz, tmask, dim=2)
        if self.interaction is not None:
            fv, fz = self.interaction(fv, fz, tmask, condition)
        fv = fv.reshape(B, T, Nv, self.hidden_dim)
        fz_pooled = masked_mean(fz, tmask, dim=2)
        if self.cls_text_features == 'post_interaction':
            text_cls = fz_pooled
        raw = similarity_maps(fv, fz_pooled, self.similarity)
        return dict(visual=fv, text=fz_pooled, text_cls=text_cls,
                    raw_sim=raw, sim=self.calibration(raw), grid=grid)

    def _training_features(self, inputs: Tensor, slots: dict,
                           data_samples) -> dict:
        """Features of the P + N slots under ``condition_on``."""
        B, E = slots['positive'].shape
        if self.condition_on != 'original':
            cond = dict(all_slots=slots['valid'], positives=slots['positive'])
            return self.forward_features(
                inputs, slots['texts'], cond[self.condition_on],
                cond[self.selection_condition_on])
        # lever: the input expression as one extra conditioning slot,
        # split off so that the MIL / fusion slots are unchanged
        texts = [row + [self._expression(s)]
                 for row, s in zip(slots['texts'], data_samples)]
        cond = torch.zeros(B, E + 1, dtype=torch.bool, device=inputs.device)
        cond[:, -1] = True
        feats = self.forward_features(inputs, texts, cond)
        out = dict(visual=feats['visual'], grid=feats['grid'],
                   orig_raw=feats['raw_sim'][..., -1],
                   orig_text=feats['text'][:, -1])
        for k in ('text', 'text_cls'):
            out[k] = feats[k][:, :E]
        for k in ('raw_sim', 'sim'):
            out[k] = feats[k][..., :E]
        return out

    @staticmethod
    def _expression(sample) -> str:
        return check_text(sample.metainfo.get('expression'),
                          f"sample {sample.metainfo.get('video_id')}")

    def _query_features(self, frames: Tensor, data_samples) -> dict:
        """Sec. 3.7: the query alone on the text side, ``E = 1``."""
        texts = [[self._expression(s)] for s in data_samples]
        cond = torch.ones(len(texts), 1, dtype=torch.bool,
                          device=frames.device)
        if not self.test_empty_slot_in_selection:
            return self.forward_features(frames, texts, cond)
        # released code: '' selects (amplifies) but is no slot of the map
        feats = self.forward_features(
            frames, [row + [''] for row in texts],
            torch.cat([cond, ~cond], 1), torch.cat([cond, cond], 1), True)
        for k in ('text', 'text_cls'):
            feats[k] = feats[k][:, :1]
        for k in ('raw_sim', 'sim'):
            feats[k] = feats[k][..., :1]
        return feats

    # ------------------------------------------------------------------
    # BaseModel API
    # ------------------------------------------------------------------
    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode {mode!r}; use loss/predict/tensor')

    @staticmethod
    def _check_inputs(inputs: Tensor) -> None:
        if inputs.dim() != 5:
            raise ValueError('WSRVOS expects inputs (B, T, 3, H, W), got '
                             f'shape {tuple(inputs.shape)}')

    def _forward(self, inputs: Tensor, data_samples) -> Tensor:
        """Similarity logits of each sample's own expression (B, T, Nv)."""
        self._check_inputs(inputs)
        return self._query_features(inputs, data_samples)['sim'][..., 0]

    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        """Eq. (7): ``L = L_cls + lambda_1 L_seg + lambda_2 L_tmp`` (+ lever).

        Reads frames and the metainfo keys in ``TRAIN_META_KEYS`` only.
        """
        self._check_inputs(inputs)
        slots = expression_slots(data_samples, self.num_positives,
                                 self.num_negatives, inputs.device)
        feats = self._training_features(inputs, slots, data_samples)
        sim, raw = feats['sim'], feats['raw_sim']
        B, T, Nv, E = sim.shape
        losses = {}
        warm = self.cls_only or bool(self._iter < self.warmup_iters)
        if self.training:
            self._iter += 1
        if self.mil_head is not None:
            out = self.mil_head(feats['visual'], sim, feats['text_cls'],
                                slots['valid'])
            losses['loss_cls'] = self.mil_head.loss(out['y'], slots['labels'],
                                                    slots['valid'])
            losses['proposal_fg'] = (out['num_active'].float() /
                                     Nv).mean().detach()
        idx = slots['pos_index'][:, None, None, :].expand(B, T, Nv, -1)
        pos_sim = sim.gather(-1, idx).permute(0, 1, 3, 2)  # (B, T, P, Nv)
        pos_raw = raw.gather(-1, idx).permute(0, 1, 3, 2)
        pos_valid = torch.ones(B, self.num_positives, dtype=torch.bool,
                               device=sim.device)
        zero = sim.sum() * 0
        pseudo = None
        if self.fusion is not None:
            presence_fn = self.presence_head.token_logits \
                if self.pseudo_mask_from_presence else None
            pseudo = self.fusion(pos_sim, slots['confidences'], pos_valid,
                                 presence_fn, pos_raw,
                                 [s.metainfo.get('sample_idx')
                                  for s in data_samples])
            seg = self.seg_loss(
                pos_sim.flatten(0, 1), pseudo['mask'].flatten(0, 1),
                pos_valid[:, None].expand(B, T, -1).flatten(0, 1))
            losses['loss_seg'] = zero if warm else seg
            losses['pseudo_mask_fg'] = pseudo['mask'].mean().detach()
        if self.temporal_loss is not None:
            if self.temporal_loss_on == 'pseudo_masks' and pseudo is not None:
                masks = pseudo['mask_st']  # (B, T, Nv): M of Sec. 3.6
            else:  # each positive's soft map (also w/o PPF): (B*P, T, Nv)
                masks = pos_sim.float().sigmoid().permute(0, 2, 1,
                                                          3).flatten(0, 1)
            tmp = self.temporal_loss(masks)
            losses['loss_tmp'] = zero if warm else tmp
        if self.presence_head is not None:
            losses['loss_presence'] = self.presence_head.loss(
                feats, slots, data_samples, pos_raw, inputs,
                self.forward_features)
        return losses
