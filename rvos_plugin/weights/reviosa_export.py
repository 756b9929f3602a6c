"""Export a trained ReVIOsA (LoRA merged) to files the field's loaders read.

Folder layout written by :func:`export_reviosa`::

    <out>/mllm/              transformers-native InternVLForConditionalGeneration
                             (LoRA merged into the weights, the trained seg-token
                             rows written into the embedding / lm_head), with the
                             tokenizer holding our seg tokens
    <out>/sam2.pt            SAM2 in the released layout ({'model': state_dict})
    <out>/seg_projector.pth  mmengine checkpoint of the seg-token projector
    <out>/reviosa_export.json  tokens, SAM2 family/config, the cfg-options that
                             load the folder with our configs

``InternVLForConditionalGeneration.from_pretrained(<out>/mllm)`` loads the MLLM;
our configs load the whole model with :func:`export_cfg_options` (the MLLM
and SAM2 files as ``pretrained``/``checkpoint``, fresh LoRA B = 0) plus
``load_from=<out>/seg_projector.pth``.
"""
import json
import os
import os.path as osp
from typing import Dict, List

import torch

EXPORT_INFO = 'reviosa_export.json'


def merged_mllm_state(model) -> Dict[str, torch.Tensor]:
    """The MLLM state dict with every peft LoRA merged (peft's
    ``get_delta_weight``) and the trained seg-token rows written in.

    Args:
        model: a ``ReVIOsA``.

    Returns:
        dict: keys of a plain ``InternVLForConditionalGeneration``.
    """
    from peft.tuners.lora import LoraLayer
    mllm = model.mllm
    state = {k: v.detach().clone() for k, v in mllm.state_dict().items()}
    for name, module in mllm.named_modules():
        if not isinstance(module, LoraLayer):
            continue
        base = state.pop(f'{name}.base_layer.weight')
        delta = sum(module.get_delta_weight(a)
                    for a in module.active_adapters
                    if a in module.lora_A)
        state[f'{name}.weight'] = (base.float() + delta.float()).to(
            base.dtype)
        if f'{name}.base_layer.bias' in state:
            state[f'{name}.bias'] = state.pop(f'{name}.base_layer.bias')
    for key in [k for k in state if '.lora_' in k]:
        state.pop(key)
    rows = getattr(model, 'new_token_rows', None)
    if rows is not None:
        emb = 'model.language_model.embed_tokens.weight'
        state[emb] = rows.merged(state[emb])
        if not rows.tied:
            state['lm_head.weight'] = rows.merged(state['lm_head.weight'],
                                                  output=True)
    return state


def export_reviosa(model, out: str) -> Dict:
    """Write the export folder of ``model`` (see the module docstring).

    Returns:
        dict: the ``reviosa_export.json`` content.
    """
    from safetensors.torch import save_file

    from .sam2_checkpoint import config_name, identify_state_dict
    os.makedirs(osp.join(out, 'mllm'), exist_ok=True)
    state = merged_mllm_state(model)
    model.mllm.config.save_pretrained(osp.join(out, 'mllm'))
    if getattr(model.mllm, 'generation_config', None) is not None:
        model.mllm.generation_config.save_pretrained(osp.join(out, 'mllm'))
    save_file({k: v.contiguous() for k, v in state.items()},
              osp.join(out, 'mllm', 'model.safetensors'),
              metadata={'format': 'pt'})
    model.tokenizer.save_pretrained(osp.join(out, 'mllm'))
    sam_state = {k: v.detach().clone()
                 for k, v in model.sam2.sam.state_dict().items()}
    torch.save({'model': sam_state}, osp.join(out, 'sam2.pt'))
    proj = {f'projector.{k}': v.detach().clone()
            for k, v in model.projector.state_dict().items()}
    torch.save({'meta': dict(exported_by='reviosa_to_hf'),
                'state_dict': proj}, osp.join(out, 'seg_projector.pth'))
    version, size = identify_state_dict(sam_state)
    info = dict(actor_token=model.actor_token,
                target_token=model.target_token,
                token_mode=model.token_mode,
                chat_template=model.chat_template,
                sam2_family=f'SAM{version}',
                sam2_config=config_name(version, size) if size else None,
                cfg_options=export_cfg_options(out, size is not None),
                load_from=osp.join(out, 'seg_projector.pth'))
    with open(osp.join(out, EXPORT_INFO), 'w') as f:
        json.dump(info, f, indent=1)
    return info


def export_cfg_options(out: str, auto_sam2: bool = True) -> List[str]:
    """``--cfg-options`` that make a ReVIOsA config load ``out``."""
    opts = [f'model.mllm.pretrained={osp.join(out, "mllm")}',
            f'model.mllm.tokenizer={osp.join(out, "mllm")}',
            f'model.sam2.checkpoint={osp.join(out, "sam2.pt")}']
    if auto_sam2:
        opts.append('model.sam2.config=auto')
    return opts


def load_exported_projector(model, out: str) -> None:
    """Load ``seg_projector.pth`` into ``model.projector`` (strict)."""
    state = torch.load(osp.join(out, 'seg_projector.pth'),
                       map_location='cpu', weights_only=True)['state_dict']
    own = {k[len('projector.'):]: v for k, v in state.items()}
    model.projector.load_state_dict(own, strict=True)
