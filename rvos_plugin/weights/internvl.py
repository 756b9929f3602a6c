"""InternVL2.5 original (remote-code) checkpoints -> transformers-native
``InternVLForConditionalGeneration``.

The authors of InterRVOS/Sa2VA tell users to download ``OpenGVLab/InternVL2_5-1B``
/ ``-4B`` (and the ``-MPO`` releases, same layout): a folder with
``config.json`` (``model_type='internvl_chat'``), ``modeling_internvl_chat.py``,
``modeling_intern_vit.py``, safetensors and a Qwen2 tokenizer. transformers
ships the native ``InternVLForConditionalGeneration`` but no converter in the
wheel. This module converts such a folder (config, state dict, tokenizer with
the image tokens, chat template, image processor) and is importable without running
anything heavy: torch and transformers are imported inside the functions.

Key schema (original -> native), derived from the two implementations:

============================================  =========================================================
``vision_model.embeddings.class_embedding``   ``model.vision_tower.embeddings.cls_token``
``vision_model.embeddings.position_embedding`` ``model.vision_tower.embeddings.position_embeddings``
``vision_model.embeddings.patch_embedding.*`` ``model.vision_tower.embeddings.patch_embeddings.projection.*``
``vision_model.encoder.layers.N.ls1/ls2``     ``model.vision_tower.encoder.layer.N.lambda_1/lambda_2``
``...layers.N.attn.qkv.*``                    ``...layer.N.attention.{q,k,v}_proj.*`` (split in 3)
``...layers.N.attn.proj.*``                   ``...layer.N.attention.projection_layer.*``
``...layers.N.attn.{q,k}_norm.*``             ``...layer.N.attention.{q,k}_norm.*``
``...layers.N.norm1/norm2.*``                 ``...layer.N.layernorm_before/layernorm_after.*``
``...layers.N.mlp.fc1/fc2.*``                 ``...layer.N.mlp.fc1/fc2.*``
``mlp1.0/1/3.*``                              ``model.multi_modal_projector.layer_norm/linear_1/linear_2.*``
``language_model.model.*``                    ``model.language_model.*``
``language_model.lm_head.weight``             ``lm_head.weight``
============================================  =========================================================
"""
import json
import os
import os.path as osp
import re
import shutil
from typing import Dict, Optional, Tuple

from .key_report import ConversionError, KeyReport

#: InternVL2.5's conversation template ``internvl2_5`` (conversation.py of
#: the original folder): system message and ChatML roles.
INTERNVL25_SYSTEM_MESSAGE = (
    '你是书生·万象，英文名是InternVL，是由上海人工智能实验室、清华大学及多家'
    '合作单位联合开发的多模态大语言模型。')
#: ChatML template with InternVL2.5's default system message; images/videos
#: become ``<image>``/``<video>`` placeholders the processor expands.
INTERNVL25_CHAT_TEMPLATE = (
    "{% if messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\n" + INTERNVL25_SYSTEM_MESSAGE +
    "<|im_end|>\\n' }}{% endif %}"
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}{{ '<image>\\n' }}"
    "{% elif content['type'] == 'video' %}{{ '<video>\\n' }}"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}"
    "{% endif %}{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
    "{% endif %}")
IMAGE_TOKENS = dict(start_image_token='<img>', end_image_token='</img>',
                    context_image_token='<IMG_CONTEXT>')
#: Written into every converted folder; holds the source fingerprint so an
#: on-the-fly conversion happens once.
MARKER = 'rvos_conversion.json'
SUPPORTED_LLMS = ('Qwen2ForCausalLM', )

_VISION_RULES = (
    (r'^vision_model\.embeddings\.class_embedding$',
     'model.vision_tower.embeddings.cls_token'),
    (r'^vision_model\.embeddings\.position_embedding$',
     'model.vision_tower.embeddings.position_embeddings'),
    (r'^vision_model\.embeddings\.patch_embedding\.(weight|bias)$',
     r'model.vision_tower.embeddings.patch_embeddings.projection.\1'),
    (r'^vision_model\.encoder\.layers\.(\d+)\.ls([12])$',
     r'model.vision_tower.encoder.layer.\1.lambda_\2'),
    (r'^vision_model\.encoder\.layers\.(\d+)\.attn\.proj\.(weight|bias)$',
     r'model.vision_tower.encoder.layer.\1.attention.projection_layer.\2'),
    (r'^vision_model\.encoder\.layers\.(\d+)\.attn\.([qk])_norm\.(weight|bias)$',
     r'model.vision_tower.encoder.layer.\1.attention.\2_norm.\3'),
    (r'^vision_model\.encoder\.layers\.(\d+)\.norm1\.(weight|bias)$',
     r'model.vision_tower.encoder.layer.\1.layernorm_before.\2'),
    (r'^vision_model\.encoder\.layers\.(\d+)\.norm2\.(weight|bias)$',
     r'model.vision_tower.encoder.layer.\1.layernorm_after.\2'),
    (r'^vision_model\.encoder\.layers\.(\d+)\.mlp\.(fc[12])\.(weight|bias)$',
     r'model.vision_tower.encoder.layer.\1.mlp.\2.\3'),
    (r'^mlp1\.0\.(weight|bias)$', r'model.multi_modal_projector.layer_norm.\1'),
    (r'^mlp1\.1\.(weight|bias)$', r'model.multi_modal_projector.linear_1.\1'),
    (r'^mlp1\.3\.(weight|bias)$', r'model.multi_modal_projector.linear_2.\1'),
    (r'^language_model\.model\.(.+)$', r'model.language_model.\1'),
    (r'^language_model\.lm_head\.weight$', 'lm_head.weight'),
)
_QKV = re.compile(
    r'^vision_model\.encoder\.layers\.(\d+)\.attn\.qkv\.(weight|bias)$')
_IGNORED = ((re.compile(r'rotary_emb\.inv_freq$'),
             'rotary buffer, recomputed by transformers'), )


def read_config(folder: str) -> dict:
    """``config.json`` of a checkpoint folder (error names the file)."""
    path = osp.join(folder, 'config.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found: {folder!r} is not a checkpoint folder. '
            'Download OpenGVLab/InternVL2_5-1B (or -4B) completely, e.g. '
            '`huggingface-cli download OpenGVLab/InternVL2_5-1B --local-dir '
            'checkpoints/InternVL2_5-1B`.')
    with open(path) as f:
        return json.load(f)


def folder_format(folder: str) -> str:
    """``'original'`` (remote code, ``internvl_chat``), ``'hf'``
    (``InternVLForConditionalGeneration``) or ``'other'``."""
    model_type = read_config(folder).get('model_type')
    return {'internvl_chat': 'original', 'internvl': 'hf'}.get(
        model_type, 'other')


def convert_config(original: dict):
    """Original ``InternVLChatConfig`` dict -> ``transformers.InternVLConfig``.

    Args:
        original (dict): the original ``config.json`` content.

    Returns:
        transformers.InternVLConfig
    """
    from transformers import InternVLConfig
    absent = [k for k in ('llm_config', 'vision_config') if k not in original]
    if absent:
        raise ConversionError(
            f'the original InternVL config.json lacks {absent}: the folder is '
            'not a complete OpenGVLab/InternVL2_5-* download.')
    llm = dict(original['llm_config'])
    arch = (llm.get('architectures') or ['?'])[0]
    if arch not in SUPPORTED_LLMS:
        raise ConversionError(
            f'LLM architecture {arch!r} is not supported by this converter '
            f'(supported: {SUPPORTED_LLMS}, i.e. InternVL2.5-1B/4B/...-MPO). '
            'InternLM2-based InternVL2.5 sizes need a different text mapping.')
    if original.get('ps_version', 'v2') != 'v2':
        raise ConversionError(
            f"ps_version={original['ps_version']!r}: the native model only "
            "implements pixel shuffle 'v2' (InternVL2.5 uses v2).")
    vis = original['vision_config']
    image_size = original.get('force_image_size') or vis['image_size']
    text = {k: v for k, v in llm.items() if k not in (
        'architectures', 'auto_map', '_name_or_path', 'attn_implementation',
        'transformers_version', 'torch_dtype', '_attn_implementation_autoset')}
    text['model_type'] = 'qwen2'
    vision = dict(
        hidden_size=vis['hidden_size'],
        intermediate_size=vis['intermediate_size'],
        num_hidden_layers=vis['num_hidden_layers'],
        num_attention_heads=vis['num_attention_heads'],
        num_channels=vis.get('num_channels', 3),
        image_size=[image_size, image_size],
        patch_size=[vis['patch_size'], vis['patch_size']],
        hidden_act=vis.get('hidden_act', 'gelu'),
        layer_norm_eps=vis.get('layer_norm_eps', 1e-6),
        norm_type=vis.get('norm_type', 'layer_norm'),
        attention_bias=vis.get('qkv_bias', True),
        use_qk_norm=vis.get('qk_normalization', False),
        attention_dropout=vis.get('attention_dropout', 0.0),
        projection_dropout=vis.get('dropout', 0.0),
        hidden_dropout_prob=vis.get('dropout', 0.0),
        initializer_range=vis.get('initializer_range', 0.02),
        layer_scale_init_value=vis.get('initializer_factor', 0.1))
    ratio = original.get('downsample_ratio', 0.5)
    tokens = int((image_size // vis['patch_size'])**2 * ratio**2)
    cfg = InternVLConfig(
        vision_config=vision, text_config=text, downsample_ratio=ratio,
        projector_hidden_act='gelu', image_seq_length=tokens,
        vision_feature_layer=original.get('select_layer', -1),
        vision_feature_select_strategy='default',
        tie_word_embeddings=llm.get('tie_word_embeddings', False))
    cfg.architectures = ['InternVLForConditionalGeneration']
    return cfg


def convert_state_dict(state: Dict, source: str = '<state dict>',
                       expected_keys=None) -> Tuple[Dict, KeyReport]:
    """Rename (and split ``attn.qkv``) every original key.

    Args:
        state (dict[str, Tensor]): original ``InternVLChatModel`` state dict.
        source (str): named in the report and errors.
        expected_keys (Iterable[str], optional): the native model's keys;
            when given, the report lists those no source key filled.

    Returns:
        tuple[dict, KeyReport]: native state dict and the report.
    """
    report = KeyReport(source)
    out = {}
    for key, value in state.items():
        if any(p.search(key) for p, _ in _IGNORED):
            report.ignore(key, next(r for p, r in _IGNORED if p.search(key)))
            continue
        match = _QKV.match(key)
        if match:
            layer, kind = match.groups()
            if value.shape[0] % 3:
                raise ConversionError(
                    f'{source}: {key} has {value.shape[0]} rows, not 3 x '
                    'hidden size.')
            for name, part in zip('qkv', value.chunk(3, dim=0)):
                new = (f'model.vision_tower.encoder.layer.{layer}.attention.'
                       f'{name}_proj.{kind}')
                out[new] = part.contiguous()
                report.mapped.append((key, new))
            continue
        for pattern, repl in _VISION_RULES:
            if re.match(pattern, key):
                new = re.sub(pattern, repl, key)
                out[new] = value
                report.mapped.append((key, new))
                break
        else:
            report.unused.append(key)
    if expected_keys is not None:
        report.set_missing(expected_keys, out)
    return out, report


def load_folder_state_dict(folder: str) -> Dict:
    """All tensors of a checkpoint folder (``*.safetensors`` shards or
    ``pytorch_model*.bin``), memory-mapped where possible."""
    import torch
    files = sorted(f for f in os.listdir(folder) if f.endswith('.safetensors'))
    state = {}
    if files:
        from safetensors.torch import load_file
        for name in files:
            state.update(load_file(osp.join(folder, name)))
        return state
    files = sorted(f for f in os.listdir(folder)
                   if f.startswith('pytorch_model') and f.endswith('.bin'))
    if not files:
        raise FileNotFoundError(
            f'{folder!r} holds no *.safetensors nor pytorch_model*.bin: the '
            'download is incomplete; download the whole repository folder.')
    for name in files:
        state.update(torch.load(osp.join(folder, name), map_location='cpu',
                                weights_only=True, mmap=True))
    return state


def native_keys(config) -> list:
    """State-dict keys of ``InternVLForConditionalGeneration(config)``
    (built on the meta device: no memory)."""
    import torch
    from transformers import InternVLForConditionalGeneration
    with torch.device('meta'):
        model = InternVLForConditionalGeneration(config)
    keys = list(model.state_dict())
    if getattr(config.get_text_config(), 'tie_word_embeddings', False) or \
            getattr(config, 'tie_word_embeddings', False):
        keys = [k for k in keys if k != 'lm_head.weight']
    return keys


def fingerprint(folder: str) -> dict:
    """Names, sizes and mtimes of a folder's files (cache validity)."""
    out = {}
    for name in sorted(os.listdir(folder)):
        path = osp.join(folder, name)
        if osp.isfile(path):
            st = os.stat(path)
            out[name] = [st.st_size, int(st.st_mtime)]
    return out


def convert_tokenizer(src: str, dst: str):
    """Copy the tokenizer with the image tokens as named extra special
    tokens (``tokenizer.context_image_token`` ...) and InternVL2.5's chat
    template. The vocabulary is unchanged."""
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(
        src, trust_remote_code=False, local_files_only=True,
        extra_special_tokens=IMAGE_TOKENS)
    missing = [t for t in IMAGE_TOKENS.values()
               if t not in tokenizer.get_vocab()]
    if missing:
        raise ConversionError(
            f'{src}: the tokenizer lacks {missing}; this is not an InternVL '
            'tokenizer (download the whole OpenGVLab/InternVL2_5-* folder).')
    tokenizer.chat_template = INTERNVL25_CHAT_TEMPLATE
    tokenizer.save_pretrained(dst)
    return tokenizer


def save_image_processor(original: dict, dst: str) -> None:
    """The image processor (GotOcr2, InternVL2.5's 448-px tiles, ImageNet
    mean/std, dynamic tiling settings of the original config).

    ``InternVLProcessor`` itself is not written: it needs a ``<video>``
    token, which would add a vocabulary row the checkpoint does not have.
    """
    from transformers import GotOcr2ImageProcessor
    size = original.get('force_image_size') or \
        original['vision_config']['image_size']
    GotOcr2ImageProcessor(
        size=dict(height=size, width=size),
        crop_to_patches=bool(original.get('dynamic_image_size', True)),
        min_patches=original.get('min_dynamic_patch', 1),
        max_patches=original.get('max_dynamic_patch', 12),
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225]).save_pretrained(dst)


def convert_folder(src: str, dst: str, allow_unused: bool = False,
                   shard_size: str = '2GB') -> KeyReport:
    """Convert an original InternVL2.5 folder into a native one at ``dst``.

    The native folder is written under a temporary name and renamed at the
    end, so an interrupted conversion never leaves a half folder at ``dst``.

    Args:
        src (str): original folder (``config.json`` with
            ``model_type='internvl_chat'``).
        dst (str): output folder (created; must not exist).
        allow_unused (bool): drop source keys no rule maps instead of raising.
        shard_size (str): safetensors shard size.

    Returns:
        KeyReport: checked (raises :class:`ConversionError` on missing keys).
    """
    from safetensors.torch import save_file
    from transformers.modeling_utils import (  # noqa: F401 (version check)
        PreTrainedModel)
    original = read_config(src)
    if original.get('model_type') != 'internvl_chat':
        raise ConversionError(
            f"{src}/config.json has model_type={original.get('model_type')!r}"
            ", not 'internvl_chat': not an original InternVL folder "
            "(a native folder has model_type 'internvl' and needs no "
            'conversion).')
    config = convert_config(original)
    state, report = convert_state_dict(
        load_folder_state_dict(src), source=src,
        expected_keys=native_keys(config))
    report.check(allow_unused=allow_unused)
    tmp = dst.rstrip('/') + '.converting'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    tokenizer = convert_tokenizer(src, tmp)
    config.image_token_id = tokenizer.convert_tokens_to_ids(
        IMAGE_TOKENS['context_image_token'])
    dtype = original.get('torch_dtype') or original['llm_config'].get(
        'torch_dtype', 'bfloat16')
    config.torch_dtype = dtype
    config.save_pretrained(tmp)
    _save_shards(state, tmp, shard_size, save_file)
    save_image_processor(original, tmp)
    gen = osp.join(src, 'generation_config.json')
    if osp.isfile(gen):
        shutil.copy(gen, tmp)
    with open(osp.join(tmp, MARKER), 'w') as f:
        json.dump(dict(source=osp.abspath(src), converter=__name__,
                       fingerprint=fingerprint(src),
                       report=dict(mapped=len(report.mapped),
                                   ignored=report.ignored,
                                   unused=report.unused)), f, indent=1)
    if osp.exists(dst):
        shutil.rmtree(dst)
    os.replace(tmp, dst)
    return report


def _save_shards(state: Dict, folder: str, shard_size: str,
                 save_file) -> None:
    """Write ``model-0000i-of-0000n.safetensors`` + index (HF layout)."""
    from transformers.utils.hub import convert_file_size_to_int
    limit = convert_file_size_to_int(shard_size)
    shards, current, size = [], {}, 0
    for key, tensor in state.items():
        nbytes = tensor.numel() * tensor.element_size()
        if current and size + nbytes > limit:
            shards.append(current)
            current, size = {}, 0
        current[key] = tensor.contiguous()
        size += nbytes
    shards.append(current)
    if len(shards) == 1:
        save_file(shards[0], osp.join(folder, 'model.safetensors'),
                  metadata={'format': 'pt'})
        return
    index = dict(metadata=dict(total_size=sum(
        t.numel() * t.element_size() for t in state.values())),
                 weight_map={})
    for i, shard in enumerate(shards):
        name = f'model-{i + 1:05d}-of-{len(shards):05d}.safetensors'
        save_file(shard, osp.join(folder, name), metadata={'format': 'pt'})
        index['weight_map'].update({k: name for k in shard})
    with open(osp.join(folder, 'model.safetensors.index.json'), 'w') as f:
        json.dump(index, f, indent=1)


def default_cache_folder(src: str) -> str:
    """Where an on-the-fly conversion of ``src`` goes: the sibling
    ``<src>-hf`` (``checkpoints/InternVL2_5-1B`` ->
    ``checkpoints/InternVL2_5-1B-hf``), the folder ``internvl_to_hf.py``
    writes by default too."""
    return osp.abspath(src).rstrip('/') + '-hf'


def ensure_native_internvl(folder: str,
                           cache_folder: Optional[str] = None) -> str:
    """Return a native InternVL folder for ``folder``.

    A native folder is returned as is. An original folder is converted once
    into ``cache_folder`` (default :func:`default_cache_folder`); later calls
    reuse it while the source files are unchanged. A file lock makes
    concurrent ranks wait for one conversion.

    Args:
        folder (str): original or native InternVL folder.
        cache_folder (str, optional): where the conversion goes.

    Returns:
        str: a folder ``InternVLForConditionalGeneration.from_pretrained``
        and ``AutoTokenizer.from_pretrained`` load.
    """
    kind = folder_format(folder)
    if kind == 'hf':
        return folder
    if kind != 'original':
        raise ConversionError(
            f'{folder}/config.json is neither an InternVL2.5 original '
            "(model_type 'internvl_chat') nor a transformers-native "
            "(model_type 'internvl') checkpoint.")
    dst = cache_folder or default_cache_folder(folder)
    if _cache_valid(folder, dst):
        return dst
    from filelock import FileLock
    os.makedirs(osp.dirname(dst) or '.', exist_ok=True)
    with FileLock(dst.rstrip('/') + '.lock'):
        if not _cache_valid(folder, dst):
            try:
                report = convert_folder(folder, dst)
            except ConversionError as e:
                raise ConversionError(
                    f"{folder}/config.json says model_type 'internvl_chat' "
                    '(the original InternVL2.5 release), but converting it '
                    'with tools/model_converters/internvl_to_hf.py failed: '
                    f'{e}') from e
            print(report.format(max_keys=5))
    return dst


def _cache_valid(src: str, dst: str) -> bool:
    marker = osp.join(dst, MARKER)
    if not osp.isfile(marker):
        return False
    with open(marker) as f:
        info = json.load(f)
    return info.get('fingerprint') == fingerprint(src)
