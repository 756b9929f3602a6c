"""Read checkpoints trained with the authors' code (InterRVOS ``ReVIOSa`` and
Sa2VA, both xtuner + InternVL remote code + their SAM2 copy) into one
normalised form.

Two source formats (key schemas derived from their modules):

* **HF folder** written by their ``model/hf/convert_to_hf.py``
  (``config.json`` with ``model_type`` ``'reviosa_chat'`` / ``'sa2va_chat'``,
  safetensors, the tokenizer with the added tokens). Keys: ``vision_model.*``,
  ``language_model.*`` (``Qwen2ForCausalLM``, LoRA merged), ``mlp1.*``,
  ``grounding_encoder.sam2_model.*`` (SAM2 with ``.gamma`` renamed
  ``.g_weight``), ``text_hidden_fcs.{0,2}.*``.
* **xtuner ``.pth``** (a file with ``state_dict`` or a DeepSpeed checkpoint
  folder ``iter_N.pth/``): only what their ``state_dict()`` keeps -- the LLM
  LoRA (``mllm.model.language_model.base_model.model.<...>.lora_{A,B}.weight``),
  ``mllm.model.mlp1.*``, the SAM2 mask decoder
  (``grounding_encoder.sam2_model.sam_mask_decoder.*``),
  ``text_hidden_fcs.*`` and the LLM ``embed_tokens``/``lm_head``. The frozen
  rest comes from the base InternVL2.5 folder and the SAM2 checkpoint they
  trained from (``--base-mllm``, ``--sam2``); the LoRA is merged with their
  ``r``/``lora_alpha`` (InterRVOS/Sa2VA configs: 128/256).

:func:`load_official` returns the normalised state (InternVL *original* names
for the MLLM, ``sam2.*`` in the sam2 package's names, ``text_hidden_fcs.*``)
and the token -> row table of their vocabulary.
"""
import json
import os.path as osp
import re
from typing import Dict, Optional, Tuple

import torch

from .key_report import ConversionError

#: Their tokens -> the paper's names (InterRVOS code: ``[SEG]`` = actor,
#: ``[SEG_OBJ]`` = target; Sa2VA: ``[SEG]`` only). The converter maps to
#: the target config's ``actor_token``/``target_token``.
REVIOSA_TOKEN_MAP = {'[SEG]': '[SEG_ACT]', '[SEG_OBJ]': '[SEG_TAR]'}
#: Added tokens of their configs (``special_tokens``), in order.
REVIOSA_SPECIAL_TOKENS = ['[SEG]', '<p>', '</p>', '<vp>', '</vp>', '[SEG_OBJ]']
SA2VA_SPECIAL_TOKENS = ['[SEG]', '<p>', '</p>', '<vp>', '</vp>']
HF_MODEL_TYPES = {'reviosa_chat': 'reviosa', 'sa2va_chat': 'sa2va'}
_LORA = re.compile(r'^(.*)\.lora_([AB])(?:\.default)?\.weight$')


def _load_tensor_file(path: str) -> Dict[str, torch.Tensor]:
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path)
    state = torch.load(path, map_location='cpu', weights_only=False)
    for key in ('state_dict', 'module', 'model'):
        if isinstance(state, dict) and key in state and isinstance(
                state[key], dict):
            return state[key]
    return state


def load_xtuner_pth(path: str) -> Dict[str, torch.Tensor]:
    """Their training checkpoint: a ``.pth`` file or a DeepSpeed folder.

    A DeepSpeed folder is read with deepspeed's own
    ``get_fp32_state_dict_from_zero_checkpoint`` when deepspeed is installed,
    else from ``mp_rank_00_model_states.pt`` (ZeRO stage <= 2 keeps the
    module weights there whole).
    """
    if osp.isfile(path):
        return _load_tensor_file(path)
    if not osp.isdir(path):
        raise FileNotFoundError(
            f'{path!r} not found: pass the .pth their xtuner training wrote '
            '(work_dirs/<config>/iter_N.pth, a file or a DeepSpeed folder).')
    try:
        from deepspeed.utils.zero_to_fp32 import \
            get_fp32_state_dict_from_zero_checkpoint
    except ImportError:
        states = osp.join(path, 'mp_rank_00_model_states.pt')
        if not osp.isfile(states):
            raise FileNotFoundError(
                f'{path} is a folder without mp_rank_00_model_states.pt; '
                'install deepspeed to read its ZeRO shards.')
        return _load_tensor_file(states)
    return get_fp32_state_dict_from_zero_checkpoint(
        osp.dirname(path.rstrip('/')), osp.basename(path.rstrip('/')))


def read_vocab(folder: str) -> Dict[str, int]:
    """token -> id of a tokenizer folder (added tokens included)."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(folder, trust_remote_code=False,
                                        local_files_only=True)
    return tok.get_vocab()


def _sam2_from_theirs(key: str) -> str:
    """``grounding_encoder.sam2_model.X`` -> ``sam2.X`` (sam2 package
    names; their HF export renamed ``.gamma`` to ``.g_weight``)."""
    key = key[len('grounding_encoder.sam2_model.'):]
    key = re.sub(r'\.g_weight$', '.gamma', key)
    return 'sam2.' + key


def normalise_hf_state(state: Dict[str, torch.Tensor]
                       ) -> Tuple[Dict[str, torch.Tensor], list]:
    """Their HF-folder keys -> normalised keys (InternVL original names for
    the MLLM, ``sam2.*``, ``text_hidden_fcs.*``).

    Returns:
        tuple[dict, list[str]]: normalised state and the unexpected keys.
    """
    out, unexpected = {}, []
    for key, value in state.items():
        if key.startswith(('vision_model.', 'language_model.', 'mlp1.',
                           'text_hidden_fcs.')):
            out[key] = value
        elif key.startswith('grounding_encoder.sam2_model.'):
            out[_sam2_from_theirs(key)] = value
        else:
            unexpected.append(key)
    return out, unexpected


def merge_xtuner_pth(pth: Dict[str, torch.Tensor], base_mllm: str,
                     sam2_checkpoint: str, lora_r: int, lora_alpha: int
                     ) -> Tuple[Dict[str, torch.Tensor], list]:
    """Overlay their trainable subset on the frozen base weights and merge
    the LoRA (``W += lora_alpha / r * B @ A``, peft's rule).

    Returns:
        tuple[dict, list[str]]: normalised state and the unexpected keys.
    """
    from .internvl import load_folder_state_dict
    from .sam2_checkpoint import load_sam2_state_dict
    out = dict(load_folder_state_dict(base_mllm))
    out.update({'sam2.' + k: v
                for k, v in load_sam2_state_dict(sam2_checkpoint).items()})
    lora: Dict[str, Dict[str, torch.Tensor]] = {}
    unexpected = []
    peft = 'mllm.model.language_model.base_model.model.'
    for key, value in pth.items():
        match = _LORA.match(key)
        if match and key.startswith(peft):
            target = 'language_model.' + match.group(1)[len(peft):]
            lora.setdefault(target, {})[match.group(2)] = value
        elif key.startswith(peft):
            out['language_model.' + key[len(peft):]] = value
        elif key.startswith('mllm.model.'):
            out[key[len('mllm.model.'):]] = value
        elif key.startswith('grounding_encoder.sam2_model.'):
            out[_sam2_from_theirs(key)] = value
        elif key.startswith('text_hidden_fcs.'):
            out[key] = value
        else:
            unexpected.append(key)
    scale = lora_alpha / lora_r
    for target, pair in lora.items():
        weight_key = target + '.weight'
        if set(pair) != {'A', 'B'} or weight_key not in out:
            raise ConversionError(
                f'LoRA of {target}: needs lora_A, lora_B and the base weight '
                f'{weight_key} (base folder {base_mllm}); found '
                f'{sorted(pair)}.')
        base = out[weight_key]
        delta = pair['B'].float() @ pair['A'].float() * scale
        out[weight_key] = (base.float() + delta).to(base.dtype)
    return out, unexpected


def load_official(src: str, base_mllm: Optional[str] = None,
                  sam2_checkpoint: Optional[str] = None, lora_r: int = 128,
                  lora_alpha: int = 256, tokenizer: Optional[str] = None):
    """Read an InterRVOS / Sa2VA checkpoint (HF folder or xtuner ``.pth``).

    Args:
        src (str): HF folder (their ``convert_to_hf.py`` output) or ``.pth``.
        base_mllm (str, optional): the InternVL2.5 original folder they
            trained from (``.pth`` only).
        sam2_checkpoint (str, optional): the SAM2 ``.pt`` they trained from
            (``.pth`` only; theirs: ``sam2_hiera_large.pt``).
        lora_r, lora_alpha (int): their LoRA config (``.pth`` only).
        tokenizer (str, optional): tokenizer folder (default: the HF folder,
            or ``base_mllm`` plus their added tokens for a ``.pth``).

    Returns:
        dict: ``state`` (normalised tensors), ``vocab`` (token -> row of
        their embedding), ``family`` (``'reviosa'`` / ``'sa2va'``),
        ``unexpected`` (source keys no rule knows).
    """
    if osp.isdir(src) and osp.isfile(osp.join(src, 'config.json')):
        with open(osp.join(src, 'config.json')) as f:
            model_type = json.load(f).get('model_type')
        if model_type not in HF_MODEL_TYPES:
            raise ConversionError(
                f'{src}/config.json has model_type={model_type!r}; expected '
                f'one of {sorted(HF_MODEL_TYPES)} (an HF folder written by '
                "InterRVOS's / Sa2VA's convert_to_hf.py).")
        from .internvl import load_folder_state_dict
        state, unexpected = normalise_hf_state(load_folder_state_dict(src))
        vocab = read_vocab(tokenizer or src)
    else:
        if base_mllm is None or sam2_checkpoint is None:
            raise ConversionError(
                f'{src} is an xtuner training checkpoint holding only the '
                'trained weights (LoRA, mlp1, SAM2 decoder, text_hidden_fcs, '
                'embeddings); pass --base-mllm <the InternVL2_5 folder they '
                'trained from> and --sam2 <sam2_hiera_large.pt>.')
        state, unexpected = merge_xtuner_pth(
            load_xtuner_pth(src), base_mllm, sam2_checkpoint, lora_r,
            lora_alpha)
        vocab = _vocab_with_added(tokenizer or base_mllm, state)
    family = 'reviosa' if '[SEG_OBJ]' in vocab else 'sa2va'
    return dict(state=state, vocab=vocab, family=family,
                unexpected=unexpected)


def _vocab_with_added(folder: str, state: Dict) -> Dict[str, int]:
    """Base vocabulary + their added tokens in their order (xtuner
    ``tokenizer.add_tokens(special_tokens)``), checked against the
    embedding's row count."""
    vocab = dict(read_vocab(folder))
    rows = state['language_model.model.embed_tokens.weight'].shape[0]
    added = REVIOSA_SPECIAL_TOKENS if rows >= len(vocab) + len(
        REVIOSA_SPECIAL_TOKENS) else SA2VA_SPECIAL_TOKENS
    for token in added:
        if token not in vocab:
            vocab[token] = len(vocab)
    if max(vocab.values()) >= rows:
        raise ConversionError(
            f'the embedding has {rows} rows but the tokenizer of {folder} '
            f'plus their added tokens needs {max(vocab.values()) + 1}: the '
            'base folder is not the one this checkpoint was trained from.')
    return vocab



def _lora_target(key: str, target: Dict) -> Optional[str]:
    """``mllm.X.weight`` -> ``mllm.X.base_layer.weight`` when peft wrapped
    ``X`` (our LoRA), else the key itself if the target has it."""
    if key in target:
        return key
    head, _, leaf = key.rpartition('.')
    wrapped = f'{head}.base_layer.{leaf}'
    return wrapped if wrapped in target else None


def convert_to_ours(official: dict, target: Dict[str, torch.Tensor],
                    our_vocab: Dict[str, int], token_map: Dict[str, str],
                    source: str, seg_tokens) -> Tuple[Dict, 'KeyReport']:
    """Map a :func:`load_official` result onto our ReVIOsA state dict.

    * MLLM: InternVL original names -> native (``internvl.convert_state_
      dict``) under ``mllm.``; a LoRA-wrapped linear takes the (merged)
      weight as its ``base_layer``; our LoRA restarts at ``B = 0``.
    * Embedding / lm_head rows are copied **by token name** (``token_map``
      renames theirs: ``[SEG]`` -> ``[SEG_ACT]``, ``[SEG_OBJ]`` ->
      ``[SEG_TAR]``); our ``new_token_rows`` take the converted rows.
    * ``sam2.*`` -> ``sam2.sam.*``; ``text_hidden_fcs.{0,2}`` ->
      ``projector.mlp.{0,2}``.

    Args:
        official (dict): :func:`load_official` output.
        target (dict): our model's state dict.
        our_vocab (dict): our tokenizer's token -> id.
        token_map (dict): their token name -> ours.
        source (str): named in the report.
        seg_tokens (Sequence[str]): our seg tokens (must all get a row).

    Returns:
        tuple[dict, KeyReport]
    """
    from .internvl import convert_state_dict as internvl_keys
    from .key_report import KeyReport
    state = official['state']
    report = KeyReport(source)
    report.unused.extend(official['unexpected'])
    mllm_src = {k: v for k, v in state.items()
                if k.startswith(('vision_model.', 'language_model.',
                                 'mlp1.'))}
    native, sub = internvl_keys(mllm_src, source)
    report.unused.extend(sub.unused)
    for key in sub.ignored:
        report.ignore(key, sub.ignored_reason[key])
    out = {}
    rows = {'mllm.model.language_model.embed_tokens.weight': None,
            'mllm.lm_head.weight': None}
    src_of = {new: old for old, new in sub.mapped}
    for key, value in native.items():
        ours = _lora_target('mllm.' + key, target)
        if ours is None:
            report.unused.append(f'{src_of.get(key, key)} (-> mllm.{key}: '
                                 'not in the target model)')
            continue
        if ours in rows:
            rows[ours] = value
            continue
        if tuple(value.shape) != tuple(target[ours].shape):
            report.unused.append(f'{src_of.get(key, key)} (shape '
                                 f'{tuple(value.shape)} != {ours} '
                                 f'{tuple(target[ours].shape)})')
            continue
        out[ours] = value.to(target[ours].dtype)
        report.mapped.append((src_of.get(key, key), ours))
    their_vocab = official['vocab']
    inverse = {v: k for k, v in token_map.items()}
    for ours, matrix in rows.items():
        if ours not in target:
            continue
        if matrix is None:
            continue  # reported missing below
        new = target[ours].clone()
        copied, kept = 0, []
        for token, idx in our_vocab.items():
            theirs = their_vocab.get(inverse.get(token, token))
            if theirs is None or theirs >= matrix.shape[0]:
                kept.append(token)
                continue
            new[idx] = matrix[theirs].to(new.dtype)
            copied += 1
        lost = [t for t in seg_tokens if t in kept]
        if lost:
            raise ConversionError(
                f'{source}: no row for our seg token(s) {lost} (their tokens '
                f'{sorted(t for t in their_vocab if t.startswith("[SEG"))}); '
                'a Sa2VA checkpoint (single [SEG]) goes into the "only [SEG]" '
                'config (configs/reviosa/sa2va-baseline_*), an InterRVOS one '
                'into the joint [SEG_ACT]/[SEG_TAR] configs.')
        out[ours] = new
        report.mapped.append((f'{copied} rows of their {matrix.shape[0]}-row '
                              'matrix (by token name)', ours))
        for token in kept:
            report.ignore(f'{ours}[{token}]', 'our token, absent from theirs:'
                          ' row kept from the base model')
    dropped = sorted(set(their_vocab) - {inverse.get(t, t)
                                         for t in our_vocab})
    for token in dropped:
        report.ignore(f'row of {token}', 'their token, unused by ReVIOsA')
    for key, value in state.items():
        if key.startswith('sam2.'):
            ours = 'sam2.sam.' + key[len('sam2.'):]
        elif key.startswith('text_hidden_fcs.'):
            ours = 'projector.mlp.' + key[len('text_hidden_fcs.'):]
        else:
            continue
        if ours not in target or tuple(target[ours].shape) != tuple(
                value.shape):
            report.unused.append(f'{key} (-> {ours}: absent or shape '
                                 f'{tuple(value.shape)})')
            continue
        out[ours] = value.to(target[ours].dtype)
        report.mapped.append((key, ours))
    for key, value in target.items():
        if key in out:
            continue
        if '.lora_A.' in key:
            out[key] = value  # any A: B = 0 makes the adapter the identity
            report.ignore(key, 'our LoRA A, kept (B = 0)')
        elif '.lora_B.' in key:
            out[key] = torch.zeros_like(value)
            report.ignore(key, 'our LoRA B set to 0: their LoRA is merged')
    _fill_token_rows(out, target, our_vocab, seg_tokens)
    report.set_missing(target, out)
    return out, report


def _fill_token_rows(out: Dict, target: Dict, our_vocab: Dict[str, int],
                     seg_tokens) -> None:
    """``new_token_rows.{input,output}_rows`` from the converted matrices
    (rows in sorted token-id order, as ``NewTokenRows`` keeps them)."""
    ids = sorted({our_vocab[t] for t in seg_tokens})
    for own, matrix in (('new_token_rows.input_rows',
                         'mllm.model.language_model.embed_tokens.weight'),
                        ('new_token_rows.output_rows',
                         'mllm.lm_head.weight')):
        if own in target and matrix in out:
            out[own] = out[matrix][ids].clone().to(target[own].dtype)
