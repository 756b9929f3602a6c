"""Tiny stand-ins of the real ReVIOsA weights, in the real file formats.

What the real configs read, shrunk so a CPU test builds it in about a second:

* an InternVL2.5 folder in the transformers-native format
  (``InternVLForConditionalGeneration``: ``config.json``,
  ``model.safetensors``, ``generation_config.json``) with a Qwen2-style
  byte-level BPE tokenizer (``Qwen2TokenizerFast``: ``tokenizer.json``,
  ``vocab.json``, ``merges.txt``, ``tokenizer_config.json``) that carries the
  special tokens of the released InternVL2.5-1B/4B tokenizers
  (``<|endoftext|>``, ``<|im_start|>``, ``<|im_end|>``, ``<img>``, ``</img>``,
  ``<IMG_CONTEXT>``, ``<quad>``, ``</quad>``, ``<ref>``, ``</ref>``, ``<box>``,
  ``</box>``);
* a SAM2 ``.pt`` checkpoint (``{'model': state_dict}``, the format of
  ``sam2.1_hiera_*.pt``) of the package's own config *name*
  ``configs/sam2.1/sam2.1_hiera_l.yaml`` (the real configs' SAM2) shrunk by
  hydra overrides
  (:func:`tiny_sam2_overrides`); ``build_sam2(name, ckpt, overrides)``
  rebuilds it exactly as the real configs build SAM2.

Nothing is downloaded; the tokenizer is trained offline with ``tokenizers``.
:func:`tiny_reviosa_checkpoints` writes everything once under a folder and
reuses it (a ``.complete`` marker), so a test session pays the ~2 s once.
:func:`real_config_overrides` gives the ``--cfg-options`` that point a real
ReVIOsA config at these files (weight paths and sizes only).
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

#: special tokens of the released InternVL2.5 (Qwen2.5 LLM) tokenizers, in
#: their order (``<|endoftext|>`` is the pad token, ``<|im_end|>`` the eos).
QWEN2_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
INTERNVL_SPECIAL_TOKENS = ['<img>', '</img>', '<IMG_CONTEXT>', '<quad>',
                           '</quad>', '<ref>', '</ref>', '<box>', '</box>']
#: the Qwen2 pre-tokenizer split pattern (tokenizer.json of Qwen2.5).
QWEN2_SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?"
    r"[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
#: the SAM2 config name of the real configs; the stand-in is this very config
#: shrunk by hydra overrides (:func:`tiny_sam2_overrides`).
TINY_SAM2_CONFIG = 'configs/sam2.1/sam2.1_hiera_l.yaml'


def _training_corpus() -> List[str]:
    """English sentences in the style of the ReVIOsA prompts (the BPE learns
    their words; any text works, the tokenizer is byte-level)."""
    return [
        'Can you segment the object in this image? Please segment the red '
        'box moving right in this image.',
        'What is the dog chasing a ball in this image? Please respond with '
        'segmentation mask. Please output segmentation mask.',
        'Could you provide a segmentation mask for the man riding a horse?',
        'If both a subject and an object are present, please provide '
        'separate segmentation masks for each.',
        'If both an actor and target objects are present, return individual '
        'segmentation masks for the subject and the object.',
        'Sure, it is the actor and the target. There is no target.',
        'user assistant system the two boxes, the red box pushing the blue '
        'box, the person holding the cup, a cat on the left.',
    ] * 4


def build_qwen2_tokenizer(folder: Optional[str] = None,
                          vocab_size: int = 400,
                          corpus: Optional[Sequence[str]] = None):
    """Train a tiny byte-level BPE and wrap it as ``Qwen2TokenizerFast``.

    Args:
        folder (str, optional): where to ``save_pretrained`` it.
        vocab_size (int): BPE vocabulary size before the special tokens.
        corpus (Sequence[str], optional): training sentences (default: the
            ReVIOsA prompt templates).

    Returns:
        Qwen2TokenizerFast: with :data:`QWEN2_SPECIAL_TOKENS` and
        :data:`INTERNVL_SPECIAL_TOKENS` as special tokens.
    """
    from tokenizers import (Regex, Tokenizer, decoders, models,
                            normalizers, pre_tokenizers, trainers)
    from transformers import Qwen2TokenizerFast
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.normalizer = normalizers.NFC()
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT_PATTERN), behavior='isolated'),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=QWEN2_SPECIAL_TOKENS[:1],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False)
    bpe.train_from_iterator(list(corpus or _training_corpus()), trainer)
    tok = Qwen2TokenizerFast(tokenizer_object=bpe, eos_token='<|im_end|>',
                             pad_token='<|endoftext|>', unk_token=None,
                             bos_token=None)
    tok.add_special_tokens(
        {'additional_special_tokens': QWEN2_SPECIAL_TOKENS[1:] +
         INTERNVL_SPECIAL_TOKENS})
    if folder is not None:
        tok.save_pretrained(folder)
    return tok


def tiny_internvl_config(tokenizer, image_size: int = 28,
                         patch_size: int = 14, vision_hidden: int = 32,
                         text_hidden: int = 32, text_layers: int = 2,
                         dtype: str = 'bfloat16'):
    """``InternVLConfig`` of InternVL2.5's architecture at toy sizes.

    Same structure as the released configs (InternViT + pixel-shuffle MLP
    projector + Qwen2 LLM with grouped KV heads and tied embeddings); only
    widths, depths and the image size shrink. With the defaults one frame
    gives ``(28 / 14 * 0.5) ** 2 = 1`` ``<IMG_CONTEXT>`` token.
    """
    from transformers import InternVLConfig
    return InternVLConfig(
        vision_config=dict(
            hidden_size=vision_hidden, num_hidden_layers=1,
            num_attention_heads=2, intermediate_size=2 * vision_hidden,
            image_size=[image_size, image_size],
            patch_size=[patch_size, patch_size]),
        text_config=dict(
            model_type='qwen2', hidden_size=text_hidden,
            num_hidden_layers=text_layers, num_attention_heads=2,
            num_key_value_heads=1, intermediate_size=2 * text_hidden,
            vocab_size=len(tokenizer), max_position_embeddings=2048,
            tie_word_embeddings=False, rope_theta=1000000.0),
        image_token_id=tokenizer.convert_tokens_to_ids('<IMG_CONTEXT>'),
        image_seq_length=int((image_size // patch_size * 0.5)**2),
        downsample_ratio=0.5, dtype=dtype)


def save_tiny_internvl(folder: str, seed: int = 0,
                       dtype: str = 'bfloat16', **sizes) -> str:
    """Write a tiny InternVL2.5 checkpoint folder (weights + tokenizer).

    Args:
        folder (str): output folder (created).
        seed (int): weight initialisation seed.
        dtype (str): stored weight dtype (the released ones are bf16).
        **sizes: :func:`tiny_internvl_config` size arguments.

    Returns:
        str: ``folder``.
    """
    import torch
    from transformers import InternVLForConditionalGeneration
    os.makedirs(folder, exist_ok=True)
    tokenizer = build_qwen2_tokenizer(folder)
    torch.manual_seed(seed)
    model = InternVLForConditionalGeneration(
        tiny_internvl_config(tokenizer, dtype=dtype, **sizes))
    model.to(getattr(torch, dtype)).save_pretrained(folder)
    return folder


def tiny_sam2_sizes(image_size: int = 128, hidden_dim: int = 64,
                    embed_dim: int = 8) -> dict:
    """Sizes shrinking a ``sam2.1_hiera_*`` config, as a nested dict under
    ``model`` (the form ``model.sam2.hydra_overrides`` and
    ``--cfg-options`` take). Every part of SAM2 is kept (Hiera trunk, FPN
    neck, memory attention/encoder, prompt encoder, mask decoder);
    ``image_size / 16`` sets the RoPE feature sizes."""
    feat = [image_size // 16] * 2
    e, h = embed_dim, hidden_dim
    attn = dict(embedding_dim=h, feat_sizes=feat)
    return dict(
        image_size=image_size,
        image_encoder=dict(
            trunk=dict(embed_dim=e, num_heads=1, stages=[1, 1, 2, 1],
                       global_att_blocks=[3],
                       window_pos_embed_bkg_spatial_size=[4, 4],
                       window_spec=[4, 4, 4, 2]),
            neck=dict(backbone_channel_list=[8 * e, 4 * e, 2 * e, e],
                      d_model=h, position_encoding=dict(num_pos_feats=h))),
        memory_attention=dict(
            d_model=h, num_layers=1,
            layer=dict(d_model=h, dim_feedforward=2 * h,
                       self_attention=dict(attn),
                       cross_attention=dict(attn))),
        memory_encoder=dict(in_dim=h, mask_downsampler=dict(embed_dim=h),
                            fuser=dict(layer=dict(dim=h), num_layers=1)))


def tiny_sam2_overrides(**sizes) -> List[str]:
    """:func:`tiny_sam2_sizes` as hydra override strings."""
    from projects.ReVIOsA.reviosa.sam2_adapter import hydra_override_list
    return hydra_override_list(tiny_sam2_sizes(**sizes))


def _flatten(prefix: str, node: dict) -> Dict[str, object]:
    out = {}
    for key, value in node.items():
        if isinstance(value, dict):
            out.update(_flatten(f'{prefix}.{key}', value))
        else:
            out[f'{prefix}.{key}'] = value
    return out


def save_tiny_sam2(path: str, config: str = TINY_SAM2_CONFIG,
                   overrides: Optional[Sequence[str]] = None,
                   seed: int = 0) -> str:
    """Build SAM2 by config name with ``build_sam2`` and save
    ``{'model': state_dict}`` (the released ``.pt`` layout) at ``path``."""
    import torch
    from sam2.build_sam import build_sam2
    torch.manual_seed(seed)
    model = build_sam2(config, ckpt_path=None, device='cpu', mode='eval',
                       hydra_overrides_extra=list(
                           overrides if overrides is not None else
                           tiny_sam2_overrides()))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    torch.save({'model': model.state_dict()}, path)
    return path


def tiny_reviosa_checkpoints(root: str) -> Dict[str, object]:
    """The ``checkpoints/`` folder of a ReVIOsA user, tiny, written once.

    Layout (the names of the real folders and files)::

        root/InternVL2_5-1B/      tiny InternVL2.5 (Qwen2 LLM, 2 layers)
        root/InternVL2_5-4B/      tiny InternVL2.5 (Qwen2 LLM, 3 layers)
        root/sam2.1_hiera_large.pt  tiny SAM2 (sam2.1_hiera_l + overrides)

    Returns:
        dict: ``internvl_1b``, ``internvl_4b``, ``sam2`` (paths),
        ``sam2_config`` and ``sam2_sizes`` (how to rebuild SAM2:
        ``hydra_overrides`` of the config name).
    """
    paths = dict(internvl_1b=osp.join(root, 'InternVL2_5-1B'),
                 internvl_4b=osp.join(root, 'InternVL2_5-4B'),
                 sam2=osp.join(root, 'sam2.1_hiera_large.pt'),
                 sam2_config=TINY_SAM2_CONFIG,
                 sam2_sizes=tiny_sam2_sizes())
    marker = osp.join(root, '.complete')
    if osp.isfile(marker):
        return paths
    save_tiny_internvl(paths['internvl_1b'], seed=0, text_layers=2)
    save_tiny_internvl(paths['internvl_4b'], seed=1, text_layers=3)
    save_tiny_sam2(paths['sam2'])
    with open(marker, 'w') as f:
        json.dump({k: v for k, v in paths.items()}, f)
    return paths


def real_config_overrides(paths: Dict[str, object],
                          size: str = '1b') -> Dict[str, object]:
    """``--cfg-options`` pointing a real ReVIOsA config at the tiny files.

    Only weight paths and sizes change: the InternVL folder (weights and
    tokenizer), the SAM2 ``.pt`` and the hydra size overrides of its config
    name (the real config name stays; its sizes are overridden to the
    stand-in's), the number of sampled loss points and the generation
    budget.

    Args:
        paths (dict): :func:`tiny_reviosa_checkpoints` output.
        size (str): ``'1b'`` or ``'4b'``.
    """
    folder = paths[f'internvl_{size}']
    options = {
        'model.mllm.pretrained': folder,
        'model.mllm.tokenizer': folder,
        'model.sam2.checkpoint': paths['sam2'],
        'model.num_points': 64,
        'model.max_new_tokens': 8,
    }
    options.update(_flatten('model.sam2.hydra_overrides',
                            paths['sam2_sizes']))
    return options


def cfg_options_args(options: Dict[str, object]) -> List[str]:
    """``key=value`` strings of ``--cfg-options`` (lists as ``[a,b]``)."""
    out = []
    for key, value in options.items():
        if isinstance(value, (list, tuple)):
            value = '[' + ','.join(str(v) for v in value) + ']'
        out.append(f'{key}={value}')
    return out


__all__ = ['QWEN2_SPECIAL_TOKENS', 'INTERNVL_SPECIAL_TOKENS',
           'TINY_SAM2_CONFIG', 'build_qwen2_tokenizer',
           'tiny_internvl_config', 'save_tiny_internvl',
           'tiny_sam2_sizes', 'tiny_sam2_overrides', 'save_tiny_sam2',
           'tiny_reviosa_checkpoints', 'real_config_overrides',
           'cfg_options_args']
