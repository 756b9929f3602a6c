"""WSRVOS: weakly-supervised RVOS trained with text only (the full model).

Pipeline (paper Sec. 3.3-3.7):
frozen block-wise visual/text encoders with bi-directional feature selection
after chosen blocks -> projections to D -> bi-directional interaction ->
similarity maps ``s`` (B, T, Nv, E) -> MIL classification (Eq. (2)-(3)) +
positive-prediction fusion pseudo-masks with Focal+Dice (Eq. (4)-(5)) +
temporal segment ranking (Eq. (6)); total Eq. (7). Inference (Sec. 3.7):
the map of the input expression, sigmoid, threshold, upsampled to
``ori_shape``.

Training reads only text and frames: expressions come from the metainfo
``expression``, ``positive_texts``, ``positive_confidences`` and
``negative_texts`` (see ``LoadWSRVOSExpressions``). The model never reads a
``gt_*`` field (``tests/test_projects/test_wsrvos`` checks it).
"""
import inspect
import random
from collections import OrderedDict, deque
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from torch import Tensor

from rvos_plugin.registry import MODELS, TASK_UTILS
from rvos_plugin.structures import mask_scores
from .feature_selection import masked_mean
from .similarity import presence_contrast_loss, similarity_maps

#: metainfo keys the loss path may read (nothing else, never ``gt_*``).
TRAIN_META_KEYS = ('video_id', 'exp_id', 'expression', 'positive_texts',
                   'positive_confidences', 'negative_texts',
                   'object_attributes', 'object_vocabulary')

#: attribute keys whose words decide an "absent" pair (appearance words; a
#: motion-only expression is never declared absent: conservative).
APPEARANCE_KEYS = ('colour', 'shape', 'size')


def expression_may_refer_to(expression: str,
                            objects: List[dict],
                            vocabulary: Optional[Dict[str, list]] = None
                            ) -> bool:
    """Whether a video whose objects have these attributes may contain the
    referent of ``expression`` (text/attribute words only, never masks).

    Lever of the presence contrast (WSRVOS_PITFALLS.md). An object is
    compatible when, for every appearance key the expression mentions a value
    of (``vocabulary[key]``: all values of the dataset), the object's value is
    among the mentioned ones. Conservative: ``True`` when the expression
    mentions no appearance word.

    Args:
        expression (str): The original expression.
        objects (list[dict]): ``object_attributes`` of the other video.
        vocabulary (dict[str, list], optional): All values of each key in the
            dataset (``object_vocabulary``). ``None``: only the values of
            ``objects`` (then an attribute the video lacks is not evidence).

    Returns:
        bool: ``False`` only when no object of the video can be the referent.
    """
    words = set(_normalise_text(expression).replace(',', ' ').split())
    said = {}
    for key in APPEARANCE_KEYS:
        if vocabulary is not None:
            vocab = {str(v).lower() for v in vocabulary.get(key, [])}
        else:
            vocab = {str(o[key]).lower() for o in objects if key in o}
        if words & vocab:
            said[key] = words & vocab
    if not said:
        return True
    return any(
        all(str(obj.get(k, '')).lower() in v for k, v in said.items())
        for obj in objects)


def _normalise_text(text: str) -> str:
    return ' '.join(text.lower().split())


@MODELS.register_module()
class WSRVOS(BaseModel):
    """The WSRVOS model (paper defaults; levers are documented switches).

    Args:
        vision_encoder (dict): Block-wise visual encoder (contract §7),
            e.g. ``RVOSVideoSwin`` or ``RVOSEfficientNetLite``.
        text_encoder (dict): Block-wise text encoder, ``RVOSHFTextEncoder``.
        hidden_dim (int): D (Sec. 3.3: 1024).
        num_positives (int): P (Sec. 4.2: 6).
        num_negatives (int): N (Sec. 4.2: 48).
        selection_points (list[tuple[int, int]]): ``(visual block, text
            block)`` pairs, 1-based "after block" indices (Sec. 4.2: after
            the 3rd/6th/9th/12th layers). Empty: no selection (Tab. 5 row 1).
        selection (dict): ``WSRVOSFeatureSelection`` kwargs (k_v, k_z, l2v,
            v2l); channels are filled in from the encoders.
        interaction (dict | None): ``WSRVOSBiDirectionalInteraction`` kwargs
            (``None``: no interaction, Tab. 6 row 1).
        similarity (str): ``'dot'`` (Sec. 3.4, printed) or ``'cosine'``
            (released code).
        calibration (dict): ``WSRVOSSimilarityCalibration`` (levers).
        mil_head (dict | None): ``WSRVOSMILHead`` (``None``: w/o IEC).
        fusion (dict | None): ``WSRVOSPositivePredictionFusion`` (``None``:
            w/o PPF, Tab. 8).
        seg_loss (dict): ``WSRVOSPseudoMaskLoss`` (loss_weight = lambda_1).
        temporal_loss (dict | None): ``WSRVOSTemporalRankingLoss``
            (loss_weight = lambda_2; ``None``: w/o TSR).
        positive_source (str): ``'generated'`` (CREA positives) or
            ``'original'`` (duplicate the original expression, Tab. 4).
        negative_source (str): ``'generated'`` (CREA negatives) or
            ``'other_samples'`` (expressions of other videos, Tab. 4).
        shuffle_slots (bool): Lever: random slot order per sample.
        presence_contrast (dict | None): Lever: ``dict(enable=True,
            loss_weight=1., init_scale=1., init_bias=0.)`` enables the
            cross-video presence contrast (needs >= 2 videos per batch for
            the "absent" term). ``None`` or ``enable=False``: off (paper).
        pseudo_mask_from_presence (bool): Lever: binarise the fused map with
            the presence scalars instead of theta (needs presence_contrast).
        test_threshold (float): Inference theta: 0.4 in the paper (Sec. 3.7),
            0.5 in the released code.
        mask_refinement (dict, optional): Lever: refine the upsampled
            inference map with the frames' colour affinities before the
            threshold, e.g. ``dict(type='PixelAdaptiveRefinement')`` (PAR,
            the standard remedy for coarse maps in weakly supervised
            segmentation). ``None`` (default): the paper's Sec. 3.7.
        test_mode_presence (bool): Lever: predict tokens with positive
            presence logit instead of ``sigmoid(s) > test_threshold``.
        condition_on (str): What the video is conditioned on in training
            (selection top-K_V and the video's attention in the
            interaction): ``'positives'`` (released code) or ``'original'``
            (lever: the input expression, exactly as at test; it is then
            encoded as one extra slot outside the MIL/fusion slots).
        warmup_iters (int): Tab. S4: only L_cls for the first iterations
            (0 = no warm-up, the paper default).
        num_vision_blocks (int, optional): Run only the first blocks of the
            vision encoder (e.g. stop an EfficientNet at stride 8 on small
            frames). ``None``: all blocks (paper).
        text_cache_size (int): Speed only: keep the final text features of
            up to this many distinct expressions (CREA files repeat them
            across epochs and slots). Used only when nothing can change them:
            the text encoder is frozen and there is no selection point. 0
            (default): off. Results are unchanged (a test compares).
        negative_bank_size (int): Size of the bank of other videos'
            expressions for ``negative_source='other_samples'``.
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
                 positive_source: str = 'generated',
                 negative_source: str = 'generated',
                 shuffle_slots: bool = False,
                 presence_contrast: Optional[dict] = None,
                 pseudo_mask_from_presence: bool = False,
                 test_threshold: float = 0.4,
                 test_mode_presence: bool = False,
                 mask_refinement: Optional[dict] = None,
                 condition_on: str = 'positives',
                 warmup_iters: int = 0,
                 num_vision_blocks: Optional[int] = None,
                 text_cache_size: int = 0,
                 negative_bank_size: int = 256,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if positive_source not in ('generated', 'original'):
            raise ValueError("positive_source must be 'generated' or "
                             f"'original', got {positive_source!r}")
        if negative_source not in ('generated', 'other_samples'):
            raise ValueError("negative_source must be 'generated' or "
                             f"'other_samples', got {negative_source!r}")
        if condition_on not in ('positives', 'original'):
            raise ValueError("condition_on must be 'positives' or "
                             f"'original', got {condition_on!r}")
        self.condition_on = condition_on
        if presence_contrast is not None and not presence_contrast.get(
                'enable', True):
            presence_contrast = None
        if (pseudo_mask_from_presence or test_mode_presence) and \
                presence_contrast is None:
            raise ValueError('pseudo_mask_from_presence/test_mode_presence '
                             'need presence_contrast=dict(...)')
        self.vision_encoder = MODELS.build(vision_encoder)
        self.text_encoder = MODELS.build(text_encoder)
        self.hidden_dim = hidden_dim
        self.num_positives = num_positives
        self.num_negatives = num_negatives
        self.similarity = similarity
        self.positive_source = positive_source
        self.negative_source = negative_source
        self.shuffle_slots = shuffle_slots
        self.pseudo_mask_from_presence = pseudo_mask_from_presence
        self.test_threshold = test_threshold
        self.test_mode_presence = test_mode_presence
        self.mask_refinement = None if mask_refinement is None else \
            MODELS.build(mask_refinement)
        self.warmup_iters = warmup_iters
        self.cls_only = False  # set by WSRVOSWarmupHook (Tab. S4)
        self._negative_bank = deque(maxlen=negative_bank_size)
        self.text_cache_size = text_cache_size
        self._text_cache = OrderedDict()  # text -> (L_i, C) final states
        self._vision_takes_frames = 'num_frames' in inspect.signature(
            self.vision_encoder.forward_block).parameters

        v_ch = list(self.vision_encoder.block_channels)
        if num_vision_blocks is not None:
            if not 1 <= num_vision_blocks <= len(v_ch):
                raise ValueError(f'num_vision_blocks must be in 1..{len(v_ch)}'
                                 f', got {num_vision_blocks}')
            v_ch = v_ch[:num_vision_blocks]
        self.num_vision_blocks = len(v_ch)
        t_ch = self.text_encoder.hidden_size
        self.selection_points = [tuple(p) for p in selection_points]
        for vb, tb in self.selection_points:
            if not 1 <= vb <= len(v_ch):
                raise ValueError(
                    f'selection point after visual block {vb} is outside '
                    f'1..{len(v_ch)} (the encoder has {len(v_ch)} blocks)')
            if not 1 <= tb <= self.text_encoder.num_blocks:
                raise ValueError(
                    f'selection point after text block {tb} is outside '
                    f'1..{self.text_encoder.num_blocks}')
        sel_cfg = dict(selection or {})
        self.selectors = nn.ModuleList([
            MODELS.build(
                dict(
                    type='WSRVOSFeatureSelection',
                    visual_channels=v_ch[vb - 1],
                    text_channels=t_ch,
                    **sel_cfg)) for vb, _ in self.selection_points
        ])
        self.visual_proj = nn.Linear(v_ch[-1], hidden_dim)
        self.text_proj = nn.Linear(t_ch, hidden_dim)
        self.interaction = None if interaction is None else MODELS.build(
            dict(type='WSRVOSBiDirectionalInteraction', dim=hidden_dim,
                 **interaction))
        self.calibration = MODELS.build(
            dict(type='WSRVOSSimilarityCalibration', **(calibration or {})))
        self.mil_head = None
        if mil_head is not None:
            mil_head = dict(mil_head)
            mil_head.setdefault('type', 'WSRVOSMILHead')
            mil_head.setdefault('feat_dim', hidden_dim)
            mil_head.setdefault('num_slots', num_positives + num_negatives)
            self.mil_head = MODELS.build(mil_head)
        if fusion is not None and pseudo_mask_from_presence:
            # the model switch decides the binarisation of the fusion
            fusion = dict(fusion, binarize='presence')
        self.fusion = None if fusion is None else TASK_UTILS.build(
            dict(dict(type='WSRVOSPositivePredictionFusion'), **fusion))
        self.seg_loss = MODELS.build(
            dict(dict(type='WSRVOSPseudoMaskLoss'), **(seg_loss or {})))
        self.temporal_loss = None if temporal_loss is None else MODELS.build(
            dict(dict(type='WSRVOSTemporalRankingLoss'), **temporal_loss))
        self.presence_weight = 0.0
        self.presence_head = None
        if presence_contrast is not None:
            pc = dict(presence_contrast)
            pc.pop('enable', None)
            self.presence_weight = pc.pop('loss_weight', 1.0)
            self.absent_forward = pc.pop('absent_forward', 'reuse')
            if self.absent_forward not in ('reuse', 'recompute'):
                raise ValueError("presence_contrast.absent_forward must be "
                                 "'reuse' or 'recompute', got "
                                 f'{self.absent_forward!r}')
            self.presence_head = MODELS.build(
                dict(type='WSRVOSPresenceHead', **pc))
        self.register_buffer('_iter', torch.zeros((), dtype=torch.long),
                             persistent=False)

    # ------------------------------------------------------------------
    # expressions
    # ------------------------------------------------------------------
    @staticmethod
    def _meta(sample, key: str):
        meta = sample.metainfo
        if key not in meta:
            raise KeyError(
                f'WSRVOS training needs {key!r} in the metainfo of sample '
                f"{meta.get('video_id')}:{meta.get('exp_id')}; add "
                "LoadWSRVOSExpressions to the train pipeline and list "
                "'positive_texts', 'positive_confidences', 'negative_texts' "
                'in PackRVOSInputs(algorithm_keys=...).')
        return meta[key]

    @staticmethod
    def _check_text(text, where: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f'Empty or non-string expression {text!r} in '
                             f'{where}; fix the annotation/expression file.')
        return text.strip()

    def _positives(self, sample) -> Tuple[List[str], List[float]]:
        where = (f"{sample.metainfo.get('video_id')}:"
                 f"{sample.metainfo.get('exp_id')}")
        original = self._check_text(self._meta(sample, 'expression'), where)
        P = self.num_positives
        if self.positive_source == 'original':
            return [original] * P, [1.0] * P
        texts = list(self._meta(sample, 'positive_texts'))
        confs = list(self._meta(sample, 'positive_confidences'))
        if len(texts) != len(confs):
            raise ValueError(
                f'{where}: {len(texts)} positive_texts but {len(confs)} '
                'positive_confidences; regenerate the expression file.')
        texts = [self._check_text(t, f'{where} positive_texts') for t in texts]
        if not texts:  # every generated description was rejected (c < 0.8)
            texts, confs = [original], [1.0]
        if len(texts) > P:
            keep = random.sample(range(len(texts)), P)
            texts = [texts[i] for i in keep]
            confs = [float(confs[i]) for i in keep]
        while len(texts) < P:  # cycle: P slots are always filled
            i = len(texts) % max(1, len(texts))
            texts.append(texts[i])
            confs.append(float(confs[i]))
        return texts, [float(c) for c in confs]

    def _negatives(self, sample, batch_samples) -> List[str]:
        where = (f"{sample.metainfo.get('video_id')}:"
                 f"{sample.metainfo.get('exp_id')}")
        N = self.num_negatives
        if self.negative_source == 'generated':
            pool = [
                self._check_text(t, f'{where} negative_texts')
                for t in self._meta(sample, 'negative_texts')
            ]
        else:
            vid = sample.metainfo.get('video_id')
            pool = [
                s.metainfo['expression'] for s in batch_samples
                if s.metainfo.get('video_id') != vid
            ] + [t for v, t in self._negative_bank if v != vid]
            pool = list(dict.fromkeys(pool))
        if len(pool) > N:
            pool = random.sample(pool, N)
        return pool

    def build_expression_slots(self, data_samples) -> dict:
        """P positive + N negative slots per sample (training).

        Returns:
            dict: ``texts`` list (B) of lists (E), ``labels`` (B, E) float,
            ``valid`` (B, E) bool, ``positive`` (B, E) bool,
            ``confidences`` (B, P) float, ``pos_index`` (B, P) long (slot of
            each positive).
        """
        P, N = self.num_positives, self.num_negatives
        E = P + N
        texts, labels, valid, confs, pos_index = [], [], [], [], []
        for sample in data_samples:
            pos, conf = self._positives(sample)
            neg = self._negatives(sample, data_samples)
            slots = pos + neg + [pos[0]] * (N - len(neg))
            lab = [1.0] * P + [0.0] * N
            val = [True] * (P + len(neg)) + [False] * (N - len(neg))
            order = list(range(E))
            if self.shuffle_slots:
                random.shuffle(order)
            texts.append([slots[i] for i in order])
            labels.append([lab[i] for i in order])
            valid.append([val[i] for i in order])
            inv = {o: j for j, o in enumerate(order)}
            pos_index.append([inv[k] for k in range(P)])
            confs.append(conf)
        for sample in data_samples:
            self._negative_bank.append((sample.metainfo.get('video_id'),
                                        sample.metainfo['expression']))
        device = self._iter.device
        labels = torch.tensor(labels, device=device)
        valid = torch.tensor(valid, device=device)
        return dict(
            texts=texts,
            labels=labels,
            valid=valid,
            positive=labels.bool(),
            confidences=torch.tensor(confs, device=device),
            pos_index=torch.tensor(pos_index, device=device,
                                   dtype=torch.long))

    # ------------------------------------------------------------------
    # features
    # ------------------------------------------------------------------
    def _vision_block(self, i: int, x: Tensor, T: int) -> Tensor:
        if self._vision_takes_frames:
            return self.vision_encoder.forward_block(i, x, num_frames=T)
        return self.vision_encoder.forward_block(i, x)

    def _encoders_trainable(self) -> bool:
        return any(p.requires_grad for p in self.vision_encoder.parameters()
                   ) or any(p.requires_grad
                            for p in self.text_encoder.parameters())

    def encode(self, frames: Tensor, texts: List[List[str]],
               condition: Tensor) -> Tuple[Tensor, Tensor, Tensor, tuple]:
        """Encoders with selection points (Sec. 3.3).

        Args:
            frames (Tensor): ``(B, T, 3, H, W)`` normalised frames.
            texts (list[list[str]]): ``B`` lists of ``E`` expressions.
            condition (Tensor): Bool ``(B, E)`` expressions that select
                visual tokens / that the video attends to.

        Returns:
            tuple: visual tokens ``(B, T, Nv, Cv)``, text tokens
            ``(B, E, L, Cz)``, text mask ``(B, E, L)`` and the token grid
            ``(h, w)``.
        """
        B, T = frames.shape[:2]
        E = len(texts[0])
        flat = [t for row in texts for t in row]
        if self._text_cache_usable():
            h, tmask = self._cached_text_features(flat)
            v, grid = self._encode_vision(frames, T)
            return v, h.reshape(B, E, *h.shape[1:]), tmask.reshape(
                B, E, -1), grid
        tokens = self.text_encoder.tokenize(flat)
        attn = tokens['attention_mask']
        tmask = attn.bool().reshape(B, E, -1)
        # Selection top-k is discrete: with frozen encoders nothing before
        # the final projections can receive a gradient, so skip autograd.
        grad = torch.is_grad_enabled() and self._encoders_trainable()
        with torch.set_grad_enabled(grad):
            h = self.text_encoder.embed(tokens)
            x = self.vision_encoder.stem(frames.flatten(0, 1))
            vi = ti = 0
            for (vb, tb), selector in zip(self.selection_points,
                                          self.selectors):
                while vi < vb:
                    x = self._vision_block(vi, x, T)
                    vi += 1
                while ti < tb:
                    h = self.text_encoder.forward_block(ti, h, attn)
                    ti += 1
                NT, C, hh, ww = x.shape
                v = x.flatten(2).transpose(1, 2).reshape(B, T, hh * ww, C)
                z = h.reshape(B, E, *h.shape[1:])
                v, z = selector(v, z, tmask, condition)
                x = v.reshape(NT, hh * ww, C).transpose(1, 2).reshape(
                    NT, C, hh, ww)
                h = z.reshape(B * E, *z.shape[2:])
            while vi < self.num_vision_blocks:
                x = self._vision_block(vi, x, T)
                vi += 1
            while ti < self.text_encoder.num_blocks:
                h = self.text_encoder.forward_block(ti, h, attn)
                ti += 1
        NT, C, hh, ww = x.shape
        v = x.flatten(2).transpose(1, 2).reshape(B, T, hh * ww, C)
        return v, h.reshape(B, E, *h.shape[1:]), tmask, (hh, ww)

    def _text_cache_usable(self) -> bool:
        return (self.text_cache_size > 0 and not self.selection_points
                and not any(p.requires_grad
                            for p in self.text_encoder.parameters()))

    def _cached_text_features(self, texts: List[str]) -> Tuple[Tensor, Tensor]:
        """Final text-encoder states of ``texts`` through an LRU cache.

        Args:
            texts (list[str]): ``N`` expressions.

        Returns:
            tuple: states ``(N, L, C)`` zero-padded to the longest and the
            bool mask ``(N, L)`` (True = real token).
        """
        missing = list(dict.fromkeys(t for t in texts
                                     if t not in self._text_cache))
        if missing:
            tokens = self.text_encoder.tokenize(missing)
            with torch.no_grad():
                hidden = self.text_encoder.embed(tokens)
                for ti in range(self.text_encoder.num_blocks):
                    hidden = self.text_encoder.forward_block(
                        ti, hidden, tokens['attention_mask'])
            real = tokens['attention_mask'].bool()
            for text, states, keep in zip(missing, hidden, real):
                self._text_cache[text] = states[keep].clone()
        states = []
        for t in texts:
            self._text_cache.move_to_end(t)
            states.append(self._text_cache[t])
        while len(self._text_cache) > self.text_cache_size:
            self._text_cache.popitem(last=False)
        lengths = torch.tensor([len(x) for x in states])
        padded = torch.nn.utils.rnn.pad_sequence(states, batch_first=True)
        mask = torch.arange(padded.shape[1])[None] < lengths[:, None]
        return padded, mask.to(padded.device)

    def _encode_vision(self, frames: Tensor, T: int) -> Tuple[Tensor, tuple]:
        """Vision blocks without selection: ``(B, T, Nv, C)`` and grid."""
        B = frames.shape[0]
        grad = torch.is_grad_enabled() and self._encoders_trainable()
        with torch.set_grad_enabled(grad):
            x = self.vision_encoder.stem(frames.flatten(0, 1))
            for vi in range(self.num_vision_blocks):
                x = self._vision_block(vi, x, T)
        NT, C, hh, ww = x.shape
        v = x.flatten(2).transpose(1, 2).reshape(B, T, hh * ww, C)
        return v, (hh, ww)

    def forward_features(self, frames: Tensor, texts: List[List[str]],
                         condition: Tensor) -> dict:
        """Encoders -> projections -> interaction -> similarity maps.

        Returns:
            dict: ``visual`` ``F'_V`` (B, T, Nv, D); ``text`` pooled
            ``F'_Z`` (B, E, D); ``text_cls`` pooled ``F_Z`` (B, E, D) (the
            W_cls^T); ``raw_sim`` and ``sim`` (B, T, Nv, E); ``grid``.
        """
        v, z, tmask, grid = self.encode(frames, texts, condition)
        B, T, Nv, _ = v.shape
        fv = self.visual_proj(v).reshape(B, T * Nv, self.hidden_dim)
        fz = self.text_proj(z)
        text_cls = masked_mean(fz, tmask, dim=2)
        if self.interaction is not None:
            fv, fz = self.interaction(fv, fz, tmask, condition)
        fv = fv.reshape(B, T, Nv, self.hidden_dim)
        fz_pooled = masked_mean(fz, tmask, dim=2)
        raw = similarity_maps(fv, fz_pooled, self.similarity)
        return dict(
            visual=fv,
            text=fz_pooled,
            text_cls=text_cls,
            raw_sim=raw,
            sim=self.calibration(raw),
            grid=grid)

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

    def _check_inputs(self, inputs: Tensor) -> None:
        if inputs.dim() != 5:
            raise ValueError('WSRVOS expects inputs (B, T, 3, H, W), got '
                             f'shape {tuple(inputs.shape)}')

    def _own_expression_features(self, inputs: Tensor, data_samples) -> dict:
        texts = [[self._check_text(s.metainfo.get('expression'),
                                   str(s.metainfo.get('video_id')))]
                 for s in data_samples]
        cond = torch.ones(len(texts), 1, dtype=torch.bool,
                          device=inputs.device)
        return self.forward_features(inputs, texts, cond)

    def _forward(self, inputs: Tensor, data_samples) -> Tensor:
        """Similarity logits of each sample's own expression (B, T, Nv)."""
        self._check_inputs(inputs)
        return self._own_expression_features(inputs, data_samples)['sim'][...,
                                                                          0]

    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        """Eq. (7): ``L = L_cls + lambda_1 L_seg + lambda_2 L_tmp`` (+ lever).

        Reads frames and the metainfo keys in ``TRAIN_META_KEYS`` only.
        """
        self._check_inputs(inputs)
        slots = self.build_expression_slots(data_samples)
        if self.condition_on == 'original':
            feats = self._features_conditioned_on_original(
                inputs, slots, data_samples)
        else:
            feats = self.forward_features(inputs, slots['texts'],
                                          slots['positive'])
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
            active = out['num_active'].float() / Nv
            losses['proposal_fg'] = active.mean().detach()
        idx = slots['pos_index'][:, None, None, :].expand(B, T, Nv, -1)
        pos_sim = sim.gather(-1, idx).permute(0, 1, 3, 2)  # (B, T, P, Nv)
        pos_raw = raw.gather(-1, idx).permute(0, 1, 3, 2)
        pos_valid = torch.ones(B, self.num_positives, dtype=torch.bool,
                               device=sim.device)
        zero = sim.sum() * 0
        if self.fusion is not None:
            presence_fn = None
            if self.pseudo_mask_from_presence:
                presence_fn = self.presence_head.token_logits
            pseudo = self.fusion(pos_sim, slots['confidences'], pos_valid,
                                 presence_fn, pos_raw)
            seg = self.seg_loss(
                pos_sim.flatten(0, 1), pseudo.flatten(0, 1),
                pos_valid[:, None].expand(B, T, -1).flatten(0, 1))
            losses['loss_seg'] = zero if warm else seg
            losses['pseudo_mask_fg'] = pseudo.mean().detach()
        if self.temporal_loss is not None:
            soft = pos_sim.float().sigmoid().permute(0, 2, 1, 3)  # B,P,T,N
            tmp = self.temporal_loss(soft.flatten(0, 1))
            losses['loss_tmp'] = zero if warm else tmp
        if self.presence_head is not None:
            losses['loss_presence'] = self.presence_weight * \
                self._presence_loss(feats, slots, data_samples, pos_raw,
                                    inputs)
        return losses

    def _features_conditioned_on_original(self, inputs: Tensor, slots,
                                          data_samples) -> dict:
        """Lever ``condition_on='original'``: one extra slot holding the
        input expression conditions the video (as at test); it is split off
        into ``orig_raw`` ``(B, T, Nv)`` so the MIL/fusion slots are
        unchanged."""
        texts = [row + [self._check_text(s.metainfo['expression'],
                                         str(s.metainfo.get('video_id')))]
                 for row, s in zip(slots['texts'], data_samples)]
        B, E = slots['positive'].shape
        cond = torch.zeros(B, E + 1, dtype=torch.bool, device=inputs.device)
        cond[:, -1] = True
        feats = self.forward_features(inputs, texts, cond)
        out = dict(visual=feats['visual'], grid=feats['grid'])
        out['orig_raw'] = feats['raw_sim'][..., -1]
        out['orig_text'] = feats['text'][:, -1]
        for k in ('text', 'text_cls'):
            out[k] = feats[k][:, :E]
        for k in ('raw_sim', 'sim'):
            out[k] = feats[k][..., :E]
        return out

    def _mismatched_pairs(self, data_samples) -> List[Tuple[int, int]]:
        """(expression sample i, video sample j) pairs whose video j does not
        contain the referent of i, decided from text annotations only: the
        objects' attribute words (``object_attributes``) when the samples
        carry them, else the other sample's expression texts."""
        pairs = []
        for i, si in enumerate(data_samples):
            expr = _normalise_text(si.metainfo['expression'])
            for j, sj in enumerate(data_samples):
                if i == j or sj.metainfo.get('video_id') == \
                        si.metainfo.get('video_id'):
                    continue
                if 'object_attributes' in sj.metainfo:
                    if not expression_may_refer_to(
                            expr, sj.metainfo['object_attributes'],
                            sj.metainfo.get('object_vocabulary')):
                        pairs.append((i, j))
                    continue
                texts_j = [sj.metainfo['expression']] + list(
                    sj.metainfo.get('positive_texts', []))
                if any(expr == _normalise_text(t) or expr in _normalise_text(t)
                       for t in texts_j):
                    continue
                pairs.append((i, j))
        return pairs

    def _presence_loss(self, feats, slots, data_samples, pos_raw: Tensor,
                       inputs: Tensor) -> Tensor:
        """Lever: cross-video presence contrast (WSRVOS_PITFALLS.md)."""
        if self.absent_forward == 'recompute':
            return self._presence_loss_recompute(feats, slots, data_samples,
                                                 pos_raw, inputs)
        B, T, P, _ = pos_raw.shape
        pos_text = feats['text'].gather(
            1, slots['pos_index'][..., None].expand(-1, -1,
                                                    feats['text'].shape[-1]))
        present = pos_raw  # (B, T, P, Nv)
        if 'orig_raw' in feats:  # condition_on='original': test parity
            present = torch.cat([feats['orig_raw'][:, :, None], pos_raw], 2)
            pos_text = torch.cat([feats['orig_text'][:, None], pos_text], 1)
        present = self.presence_head.frame_logits(present)  # (B, T, P')
        pairs = self._mismatched_pairs(data_samples)
        if not pairs:
            return presence_contrast_loss(present.flatten(),
                                          present.new_zeros(0))
        rows = torch.tensor([i for i, _ in pairs], device=pos_raw.device)
        cols = torch.tensor([j for _, j in pairs], device=pos_raw.device)
        # video j's tokens against expression i's texts, all pairs at once
        raw = similarity_maps(feats['visual'][cols], pos_text[rows],
                              self.similarity)  # (K, T, Nv, P')
        absent = self.presence_head.frame_logits(raw.transpose(2, 3))
        return presence_contrast_loss(present.flatten(), absent.flatten())

    def _presence_loss_recompute(self, feats, slots, data_samples,
                                 pos_raw: Tensor, inputs: Tensor) -> Tensor:
        """Presence contrast with a real forward of each "absent" pair.

        Per frame, the max raw similarity of the original expression and its
        positives is labelled "present" on its own video and "absent" on one
        mismatched video j of the batch, where j is encoded *conditioned on
        expression i* (the test-time computation), so the text features
        never carry the other video's content.

        Args:
            feats (dict): ``forward_features`` output (``orig_raw`` when
                ``condition_on='original'``).
            slots (dict): ``build_expression_slots`` output.
            data_samples (list): The batch.
            pos_raw (Tensor): Raw positive maps ``(B, T, P, Nv)``.
            inputs (Tensor): The batch's frames ``(B, T, 3, H, W)``.

        Returns:
            Tensor: Scalar loss.
        """
        present = pos_raw
        if 'orig_raw' in feats:
            present = torch.cat([feats['orig_raw'][:, :, None], pos_raw], 2)
        present = self.presence_head.frame_logits(present)  # (B, T, 1+P)
        partners = {}
        for i, j in self._mismatched_pairs(data_samples):
            partners.setdefault(i, []).append(j)
        if not partners:
            return presence_contrast_loss(present.flatten(),
                                          present.new_zeros(0))
        rows = sorted(partners)
        cols = [random.choice(partners[i]) for i in rows]
        texts = []
        for i in rows:
            pos = [slots['texts'][i][k] for k in slots['pos_index'][i]]
            texts.append([data_samples[i].metainfo['expression']] + pos)
        frames = inputs[cols]
        cond = torch.zeros(len(rows), len(texts[0]), dtype=torch.bool,
                           device=present.device)
        cond[:, 0] = True
        other = self.forward_features(frames, texts, cond)['raw_sim']
        absent = self.presence_head.frame_logits(
            other.permute(0, 1, 3, 2))  # (K, T, 1+P)
        return presence_contrast_loss(present.flatten(), absent.flatten())

    def predict(self, inputs: Tensor, data_samples) -> list:
        """Sec. 3.7: threshold the input expression's map at ``ori_shape``.

        Adds per frame ``pred_mask = PixelData(data=bool (1, H_ori, W_ori))``
        with metainfo ``score``, the mean probability inside the mask.
        """
        self._check_inputs(inputs)
        feats = self._own_expression_features(inputs, data_samples)
        if self.test_mode_presence:
            # lever: a token is foreground when its presence logit is > 0
            prob = self.presence_head.token_logits(
                feats['raw_sim'][..., 0]).float().sigmoid()
            threshold = 0.5
        else:
            prob = feats['sim'][..., 0].float().sigmoid()
            threshold = self.test_threshold
        B, T = inputs.shape[:2]
        H_pad, W_pad = inputs.shape[-2:]
        prob = prob.reshape(B * T, 1, *feats['grid'])
        prob = F.interpolate(prob, size=(H_pad, W_pad), mode='bilinear',
                             align_corners=False)
        if self.mask_refinement is not None:
            prob = self.mask_refinement(inputs.flatten(0, 1), prob)
        prob = prob.reshape(B, T, H_pad, W_pad)
        for b, sample in enumerate(data_samples):
            h, w = sample.metainfo.get('img_shape', (H_pad, W_pad))[:2]
            ori_h, ori_w = sample.metainfo.get('ori_shape', (h, w))[:2]
            p = prob[b, :, :h, :w][:, None]
            p = F.interpolate(p, size=(ori_h, ori_w), mode='bilinear',
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
