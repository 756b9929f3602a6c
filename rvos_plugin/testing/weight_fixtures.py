"""Tiny stand-ins, in the real file formats, for the weights the authors tell
users to download (converter tests, docs walkthrough, equivalence scripts).

* :func:`make_tiny_qwen2_tokenizer` -- a ``Qwen2Tokenizer`` folder (byte-level
  BPE, ChatML markers and InternVL's image tokens as added special tokens), the
  tokenizer type of InternVL2.5-1B/4B.
* :func:`internvl_original_config` / :func:`internvl_original_state_dict` --
  an InternVL2.5 *original* (remote-code, ``internvl_chat``) config and a
  random state dict with exactly the key names of the authors'
  ``InternVLChatModel`` (vision ``InternVisionModel`` + ``Qwen2ForCausalLM`` +
  ``mlp1``); ``benchmarks/equivalence/internvl_equivalence.py`` checks the key
  set against the authors' module.
* :func:`make_internvl_original_folder` -- the two above written as a folder
  (``config.json``, ``model.safetensors``, tokenizer files).
* :func:`make_tiny_roberta_folder`, :func:`make_video_swin_pth` -- the WSRVOS
  encoders' downloads (RoBERTa folder, official Video Swin ``.pth``);
  :func:`wsrvos_official_state_dict` -- the authors' ``WSRVOSModel`` keys.
"""
import json
import os
import os.path as osp
from typing import Dict, Optional

import torch

#: Special tokens of InternVL2.5's Qwen2 tokenizer (ChatML + image/grounding).
QWEN2_SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
INTERNVL_ADDED = ['<img>', '</img>', '<IMG_CONTEXT>', '<quad>', '</quad>',
                  '<ref>', '</ref>', '<box>', '</box>']
_CORPUS = [
    'the man is riding a horse on the left side of the road',
    'a dog jumps over the red ball while a girl is throwing it',
    'please segment the person who is holding the cup in the video',
    'Sure, it is [SEG]. The actor and the target object are shown.',
]


def make_tiny_qwen2_tokenizer(folder: str, vocab_size: int = 400):
    """Write a tiny ``Qwen2Tokenizer`` folder and return the tokenizer.

    Args:
        folder (str): output folder (``tokenizer.json``,
            ``tokenizer_config.json``, ``vocab.json``, ``merges.txt``...).
        vocab_size (int): BPE vocabulary size before the special tokens.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers import trainers
    from transformers import Qwen2TokenizerFast
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=QWEN2_SPECIAL)
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    tokenizer = Qwen2TokenizerFast(
        tokenizer_object=tok, unk_token=None, bos_token=None,
        eos_token='<|im_end|>', pad_token='<|endoftext|>')
    tokenizer.add_special_tokens(
        {'additional_special_tokens': QWEN2_SPECIAL[1:] + INTERNVL_ADDED})
    tokenizer.model_max_length = 8192
    tokenizer.save_pretrained(folder)
    return tokenizer


def internvl_original_config(vision_layers: int = 24, llm_layers: int = 24,
                             vision_width: int = 32, llm_width: int = 32,
                             image_size: int = 56, vocab_size: int = 420,
                             tie_word_embeddings: bool = False) -> dict:
    """An InternVL2.5 original ``config.json`` at reduced width.

    Defaults keep InternVL2.5-1B's depth (InternViT-300M: 24 layers; Qwen2.5
    -0.5B: 24 layers; 4B: ``llm_layers=36``) and its structure (patch 14,
    pixel-shuffle 0.5, LayerNorm ViT with layer scale, GQA Qwen2).
    """
    return dict(
        architectures=['InternVLChatModel'], model_type='internvl_chat',
        auto_map=dict(
            AutoConfig='configuration_internvl_chat.InternVLChatConfig',
            AutoModel='modeling_internvl_chat.InternVLChatModel',
            AutoModelForCausalLM='modeling_internvl_chat.InternVLChatModel'),
        downsample_ratio=0.5, dynamic_image_size=True,
        force_image_size=image_size, max_dynamic_patch=12,
        min_dynamic_patch=1, ps_version='v2', select_layer=-1,
        template='internvl2_5', torch_dtype='float32', use_backbone_lora=0,
        use_llm_lora=0, use_thumbnail=True,
        llm_config=dict(
            architectures=['Qwen2ForCausalLM'], model_type='qwen2',
            hidden_size=llm_width, intermediate_size=2 * llm_width,
            num_hidden_layers=llm_layers, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=2048,
            rms_norm_eps=1e-6, rope_theta=1000000.0, sliding_window=2048,
            max_window_layers=llm_layers, use_sliding_window=False,
            tie_word_embeddings=tie_word_embeddings, vocab_size=vocab_size,
            bos_token_id=None, eos_token_id=None, torch_dtype='float32'),
        vision_config=dict(
            architectures=['InternVisionModel'], model_type='intern_vit_6b',
            hidden_size=vision_width, intermediate_size=2 * vision_width,
            num_hidden_layers=vision_layers, num_attention_heads=2,
            image_size=image_size, patch_size=14, num_channels=3,
            hidden_act='gelu', layer_norm_eps=1e-6, norm_type='layer_norm',
            qkv_bias=True, qk_normalization=False, drop_path_rate=0.0,
            dropout=0.0, attention_dropout=0.0, initializer_factor=1.0,
            initializer_range=0.02, use_flash_attn=False))


def internvl_original_state_dict(config: dict, seed: int = 0
                                 ) -> Dict[str, torch.Tensor]:
    """Random tensors under the authors' ``InternVLChatModel`` key names.

    Args:
        config (dict): :func:`internvl_original_config` output.

    Returns:
        dict[str, Tensor]: ``vision_model.*``, ``mlp1.*``,
        ``language_model.*`` keys with the original shapes.
    """
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape):
        return torch.randn(*shape, generator=g) * 0.05

    v, t = config['vision_config'], config['llm_config']
    c, ci = v['hidden_size'], v['intermediate_size']
    n_patch = (config['force_image_size'] // v['patch_size'])**2
    sd = {
        'vision_model.embeddings.class_embedding': rnd(1, 1, c),
        'vision_model.embeddings.position_embedding': rnd(1, n_patch + 1, c),
        'vision_model.embeddings.patch_embedding.weight':
        rnd(c, 3, v['patch_size'], v['patch_size']),
        'vision_model.embeddings.patch_embedding.bias': rnd(c),
    }
    for i in range(v['num_hidden_layers']):
        p = f'vision_model.encoder.layers.{i}.'
        sd.update({
            p + 'ls1': rnd(c), p + 'ls2': rnd(c),
            p + 'attn.qkv.weight': rnd(3 * c, c), p + 'attn.qkv.bias': rnd(
                3 * c),
            p + 'attn.proj.weight': rnd(c, c), p + 'attn.proj.bias': rnd(c),
            p + 'mlp.fc1.weight': rnd(ci, c), p + 'mlp.fc1.bias': rnd(ci),
            p + 'mlp.fc2.weight': rnd(c, ci), p + 'mlp.fc2.bias': rnd(c),
            p + 'norm1.weight': 1 + rnd(c), p + 'norm1.bias': rnd(c),
            p + 'norm2.weight': 1 + rnd(c), p + 'norm2.bias': rnd(c)})
    h, hi = t['hidden_size'], t['intermediate_size']
    kv = h // t['num_attention_heads'] * t['num_key_value_heads']
    cin = c * int(1 / config['downsample_ratio'])**2
    sd.update({'mlp1.0.weight': 1 + rnd(cin), 'mlp1.0.bias': rnd(cin),
               'mlp1.1.weight': rnd(h, cin), 'mlp1.1.bias': rnd(h),
               'mlp1.3.weight': rnd(h, h), 'mlp1.3.bias': rnd(h)})
    sd['language_model.model.embed_tokens.weight'] = rnd(t['vocab_size'], h)
    for i in range(t['num_hidden_layers']):
        p = f'language_model.model.layers.{i}.'
        sd.update({
            p + 'self_attn.q_proj.weight': rnd(h, h),
            p + 'self_attn.q_proj.bias': rnd(h),
            p + 'self_attn.k_proj.weight': rnd(kv, h),
            p + 'self_attn.k_proj.bias': rnd(kv),
            p + 'self_attn.v_proj.weight': rnd(kv, h),
            p + 'self_attn.v_proj.bias': rnd(kv),
            p + 'self_attn.o_proj.weight': rnd(h, h),
            p + 'mlp.gate_proj.weight': rnd(hi, h),
            p + 'mlp.up_proj.weight': rnd(hi, h),
            p + 'mlp.down_proj.weight': rnd(h, hi),
            p + 'input_layernorm.weight': 1 + rnd(h),
            p + 'post_attention_layernorm.weight': 1 + rnd(h)})
    sd['language_model.model.norm.weight'] = 1 + rnd(h)
    if not t.get('tie_word_embeddings', False):
        sd['language_model.lm_head.weight'] = rnd(t['vocab_size'], h)
    return sd


def make_internvl_original_folder(folder: str,
                                  config: Optional[dict] = None,
                                  state_dict: Optional[dict] = None) -> str:
    """Write a tiny InternVL2.5 original folder (config, safetensors, Qwen2
    tokenizer) -- the layout of ``OpenGVLab/InternVL2_5-1B`` without the
    remote-code ``.py`` files (the converter never runs them)."""
    from safetensors.torch import save_file
    os.makedirs(folder, exist_ok=True)
    tokenizer = make_tiny_qwen2_tokenizer(folder)
    if config is None:
        config = internvl_original_config(vocab_size=len(tokenizer))
    if state_dict is None:
        state_dict = internvl_original_state_dict(config)
    with open(osp.join(folder, 'config.json'), 'w') as f:
        json.dump(config, f, indent=1)
    save_file({k: v.contiguous() for k, v in state_dict.items()},
              osp.join(folder, 'model.safetensors'),
              metadata={'format': 'pt'})
    return folder


def make_tiny_roberta_folder(folder: str, hidden: int = 32,
                             layers: int = 12, seed: int = 0) -> str:
    """A RoBERTa folder in the ``FacebookAI/roberta-base`` layout
    (``config.json``, safetensors, byte-level BPE ``vocab.json`` +
    ``merges.txt``, ``RobertaTokenizer``) at reduced width, real depth."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import (RobertaConfig, RobertaModel,
                              RobertaTokenizerFast)
    os.makedirs(folder, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        _CORPUS * 4, vocab_size=300, show_progress=False,
        special_tokens=['<s>', '<pad>', '</s>', '<unk>', '<mask>'])
    bpe.save_model(folder)
    tokenizer = RobertaTokenizerFast(
        vocab_file=osp.join(folder, 'vocab.json'),
        merges_file=osp.join(folder, 'merges.txt'), model_max_length=512)
    tokenizer.save_pretrained(folder)
    torch.manual_seed(seed)
    config = RobertaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden,
        num_hidden_layers=layers, num_attention_heads=2,
        intermediate_size=2 * hidden, max_position_embeddings=130,
        pad_token_id=1, bos_token_id=0, eos_token_id=2)
    RobertaModel(config).save_pretrained(folder)
    return folder


#: Video Swin at reduced width (real depths of Swin-T), for stand-ins.
TINY_SWIN_T = dict(embed_dims=16, depths=(2, 2, 6, 2), num_heads=(1, 2, 4, 8))


def make_video_swin_pth(path: str, arch: Optional[dict] = None,
                        seed: int = 0) -> str:
    """A Video Swin ``.pth`` in the official layout (``state_dict`` with
    ``backbone.*`` keys, the 2-frame patch embedding of ``patch244``,
    ``relative_position_index`` buffers and a ``cls_head``)."""
    from rvos_plugin.models.backbones.video_swin import RVOSVideoSwin
    torch.manual_seed(seed)
    swin = RVOSVideoSwin(arch=dict(arch or TINY_SWIN_T), pretrained=None,
                         frozen=False)
    state = {'backbone.' + k: v for k, v in swin.state_dict().items()}
    w = state['backbone.patch_embed.proj.weight']
    state['backbone.patch_embed.proj.weight'] = torch.cat([w, w], 2) / 2
    c = swin.num_features
    state['cls_head.fc_cls.weight'] = torch.zeros(400, c)
    state['cls_head.fc_cls.bias'] = torch.zeros(400)
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    torch.save({'meta': {}, 'state_dict': state}, path)
    return path


def wsrvos_official_state_dict(roberta_folder: str,
                               swin_arch: Optional[dict] = None,
                               hidden_dim: int = 64, num_positive: int = 2,
                               num_negative: int = 3, seed: int = 0
                               ) -> Dict[str, torch.Tensor]:
    """Random tensors under the key names of the authors' ``WSRVOSModel``
    (viscom-tongji/WSRVOS ``wsrvos/model.py``): ``visual_encoder.*`` (their
    ``SwinTransformer3D``, same names as the official Video Swin incl.
    ``relative_position_index``), ``text_encoder.*`` (``RobertaModel`` with
    its pooler), ``selection_{text_to_visual,visual_to_text}.{0..3}``,
    ``video_proj``, ``text_proj``, ``{video,text}_interaction.{attn,norm1,
    ffn.0,ffn.3,norm2}`` and ``segmentation_flow``.
    ``benchmarks/equivalence/wsrvos_equivalence.py`` checks this key set
    against their module."""
    from transformers import RobertaConfig, RobertaModel

    from rvos_plugin.models.backbones.video_swin import (
        RVOSVideoSwin, _relative_position_index)
    g = torch.Generator().manual_seed(seed)
    arch = dict(swin_arch or TINY_SWIN_T)
    swin = RVOSVideoSwin(arch=arch, pretrained=None, frozen=False)
    sd = {}
    for k, v in swin.state_dict().items():
        sd['visual_encoder.' + k] = torch.randn(v.shape, generator=g) * 0.1
        if k.endswith('relative_position_bias_table'):
            sd['visual_encoder.' + k.replace(
                'relative_position_bias_table', 'relative_position_index')] = \
                _relative_position_index(swin.window_size).clone()
    roberta = RobertaModel(RobertaConfig.from_pretrained(roberta_folder))
    for k, v in roberta.state_dict().items():
        sd['text_encoder.' + k] = torch.randn(v.shape, generator=g) * 0.1
    c = arch['embed_dims']
    stage_dims = [2 * c, 4 * c, 4 * c, 8 * c]
    t = roberta.config.hidden_size
    for i, dim in enumerate(stage_dims):
        sd[f'selection_text_to_visual.{i}.weight'] = torch.randn(dim, t)
        sd[f'selection_text_to_visual.{i}.bias'] = torch.randn(dim)
        sd[f'selection_visual_to_text.{i}.weight'] = torch.randn(t, dim)
        sd[f'selection_visual_to_text.{i}.bias'] = torch.randn(t)
    h = hidden_dim
    sd.update({'video_proj.weight': torch.randn(h, 8 * c),
               'video_proj.bias': torch.randn(h),
               'text_proj.weight': torch.randn(h, t),
               'text_proj.bias': torch.randn(h)})
    for name in ('video_interaction', 'text_interaction'):
        sd.update({
            f'{name}.attn.in_proj_weight': torch.randn(3 * h, h),
            f'{name}.attn.in_proj_bias': torch.randn(3 * h),
            f'{name}.attn.out_proj.weight': torch.randn(h, h),
            f'{name}.attn.out_proj.bias': torch.randn(h),
            f'{name}.norm1.weight': torch.ones(h),
            f'{name}.norm1.bias': torch.zeros(h),
            f'{name}.ffn.0.weight': torch.randn(4 * h, h),
            f'{name}.ffn.0.bias': torch.randn(4 * h),
            f'{name}.ffn.3.weight': torch.randn(h, 4 * h),
            f'{name}.ffn.3.bias': torch.randn(h),
            f'{name}.norm2.weight': torch.ones(h),
            f'{name}.norm2.bias': torch.zeros(h)})
    e = num_positive + num_negative
    sd['segmentation_flow.weight'] = torch.randn(e, h)
    sd['segmentation_flow.bias'] = torch.randn(e)
    return sd


def _their_sam2(sam2_state: Dict[str, torch.Tensor]) -> Dict:
    """sam2-package keys -> their ``grounding_encoder.sam2_model.*`` (their
    HF export renames the memory encoder's ``gamma`` to ``g_weight``)."""
    out = {}
    for k, v in sam2_state.items():
        if k.endswith('.gamma'):
            k = k[:-len('gamma')] + 'g_weight'
        out['grounding_encoder.sam2_model.' + k] = v.clone()
    return out


def make_reviosa_official_hf_folder(folder: str, base_folder: str,
                                    sam2_state: Dict[str, torch.Tensor],
                                    family: str = 'reviosa',
                                    seed: int = 0) -> Dict[str, torch.Tensor]:
    """The HF folder InterRVOS's (or Sa2VA's) ``convert_to_hf.py`` writes,
    tiny: ``config.json`` (``model_type`` ``reviosa_chat`` /
    ``sa2va_chat``), ``model.safetensors`` with ``vision_model.*``,
    ``language_model.*``, ``mlp1.*``, ``grounding_encoder.sam2_model.*``,
    ``text_hidden_fcs.*`` and the tokenizer with their added tokens.

    Args:
        base_folder (str): the InternVL2.5 original folder (architecture).
        sam2_state (dict): a SAM2 state dict (sam2 package names).
        family (str): ``'reviosa'`` or ``'sa2va'``.

    Returns:
        dict: the state dict written.
    """
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    from rvos_plugin.weights.official_reviosa import (REVIOSA_SPECIAL_TOKENS,
                                                      SA2VA_SPECIAL_TOKENS)
    os.makedirs(folder, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(base_folder)
    tok.add_tokens(REVIOSA_SPECIAL_TOKENS if family == 'reviosa' else
                   SA2VA_SPECIAL_TOKENS, special_tokens=True)
    tok.save_pretrained(folder)
    with open(osp.join(base_folder, 'config.json')) as f:
        cfg = json.load(f)
    cfg['llm_config']['vocab_size'] = len(tok)
    sd = internvl_original_state_dict(cfg, seed=seed)
    sd.update(_their_sam2(sam2_state))
    llm = cfg['llm_config']['hidden_size']
    out = sam2_state['sam_mask_decoder.iou_token.weight'].shape[1]
    g = torch.Generator().manual_seed(seed + 1)
    sd.update({'text_hidden_fcs.0.weight': torch.randn(llm, llm, generator=g)
               * 0.1, 'text_hidden_fcs.0.bias': torch.randn(llm, generator=g),
               'text_hidden_fcs.2.weight': torch.randn(out, llm, generator=g)
               * 0.1, 'text_hidden_fcs.2.bias': torch.randn(out, generator=g)})
    cfg.update(model_type=f'{family}_chat', template='qwen_chat',
               architectures=['ReVIOSaChatModel' if family == 'reviosa' else
                              'Sa2VAChatModel'])
    with open(osp.join(folder, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=1)
    save_file({k: v.contiguous() for k, v in sd.items()},
              osp.join(folder, 'model.safetensors'), metadata={'format': 'pt'})
    return sd


#: LoRA targets of their configs (Qwen2 LLM).
LORA_TARGETS = ('self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj',
                'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj',
                'mlp.down_proj')


def reviosa_xtuner_state_dict(base_folder: str,
                              sam2_state: Dict[str, torch.Tensor],
                              r: int = 4, seed: int = 0) -> Dict:
    """What their xtuner ``state_dict()`` keeps (a ``.pth``'s
    ``state_dict``): LLM LoRA under
    ``mllm.model.language_model.base_model.model.*.lora_{A,B}.weight``,
    ``mllm.model.mlp1.*``, the SAM2 mask decoder, ``text_hidden_fcs.*`` and
    the resized ``embed_tokens`` / ``lm_head`` (base vocabulary + their 6
    added tokens)."""
    from rvos_plugin.weights.internvl import load_folder_state_dict
    from rvos_plugin.weights.official_reviosa import REVIOSA_SPECIAL_TOKENS
    g = torch.Generator().manual_seed(seed)
    base = load_folder_state_dict(base_folder)
    peft = 'mllm.model.language_model.base_model.model.'
    sd = {}
    for key, value in base.items():
        if not key.startswith('language_model.model.layers.') or \
                not key.endswith('.weight'):
            continue
        module = key[len('language_model.'):-len('.weight')]
        if module.endswith(LORA_TARGETS):
            out_f, in_f = value.shape
            sd[f'{peft}{module}.lora_A.weight'] = torch.randn(
                r, in_f, generator=g) * 0.1
            sd[f'{peft}{module}.lora_B.weight'] = torch.randn(
                out_f, r, generator=g) * 0.1
    for key in ('mlp1.0.weight', 'mlp1.0.bias', 'mlp1.1.weight',
                'mlp1.1.bias', 'mlp1.3.weight', 'mlp1.3.bias'):
        sd['mllm.model.' + key] = base[key] + 0.01
    n = len(REVIOSA_SPECIAL_TOKENS)
    for key, ours in (('language_model.model.embed_tokens.weight',
                       peft + 'model.embed_tokens.weight'),
                      ('language_model.lm_head.weight',
                       peft + 'lm_head.weight')):
        extra = torch.randn(n, base[key].shape[1], generator=g) * 0.1
        sd[ours] = torch.cat([base[key], extra])
    for k, v in _their_sam2(sam2_state).items():
        if '.sam_mask_decoder.' in k:
            sd[k] = v + 0.01
    llm = base['language_model.model.norm.weight'].shape[0]
    out = sam2_state['sam_mask_decoder.iou_token.weight'].shape[1]
    sd.update({'text_hidden_fcs.0.weight': torch.randn(llm, llm, generator=g),
               'text_hidden_fcs.0.bias': torch.randn(llm, generator=g),
               'text_hidden_fcs.2.weight': torch.randn(out, llm, generator=g),
               'text_hidden_fcs.2.bias': torch.randn(out, generator=g)})
    return sd
