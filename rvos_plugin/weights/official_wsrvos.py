"""WSRVOS checkpoints of the authors' ``main.py`` (``WSRVOSModel`` state
dict, viscom-tongji/WSRVOS) -> our ``WSRVOS`` with the released-code switches
(``configs/wsrvos/ablation/*released-code*``).

Key schema of their ``WSRVOSModel`` (``wsrvos/model.py``) and where each goes:

=====================================================  ======================================
theirs                                                 ours
=====================================================  ======================================
``visual_encoder.*`` (``SwinTransformer3D``)           ``vision_encoder.*`` (``RVOSVideoSwin``)
``text_encoder.{embeddings,encoder}.*`` (RoBERTa)      ``text_encoder.model.*``
``selection_text_to_visual.i.{weight,bias}``           ``selectors.i.released_t2v_{weight,bias}``
``selection_visual_to_text.i.{weight,bias}``           ``selectors.i.released_v2t_{weight,bias}``
``video_proj`` / ``text_proj``                         ``visual_proj`` / ``text_proj``
``video_interaction.{attn,ffn.0,ffn.3,norm2}``         ``interaction.video_{attn,ffn.0,ffn.3,norm}``
``text_interaction.{attn,ffn.0,ffn.3,norm2}``          ``interaction.text_{attn,ffn.0,ffn.3,norm}``
``{video,text}_interaction.norm1``                     ``interaction.{video,text}_attn_norm``
``segmentation_flow.weight``                           ``mil_head.w_smt.weight``
=====================================================  ======================================

Ignored on purpose (reason in the report): the RoBERTa pooler (neither model
uses it), ``embeddings.position_ids`` and the Swin
``relative_position_index`` (buffers, recomputed), ``segmentation_flow.bias``
(a per-slot constant: it cancels in the softmax over proposals of the
segmentation flow). ``norm1`` (their LayerNorm after the attention residual)
exists in our model only with ``interaction.post_norm_block=True`` (the
released-code config); into a config without it (the paper's
``F' = LN(FFN(F~) + F)``, Sec. 3.3) it is reported **unused** (an error
unless ``allow_unused``).
"""
import re
from typing import Dict, Iterable, Tuple

import torch

from .key_report import KeyReport

RULES: Tuple[Tuple[str, str], ...] = (
    (r'^visual_encoder\.(.+)$', r'vision_encoder.\1'),
    (r'^text_encoder\.((?:embeddings|encoder)\..+)$', r'text_encoder.model.\1'),
    (r'^selection_text_to_visual\.(\d+)\.(weight|bias)$',
     r'selectors.\1.released_t2v_\2'),
    (r'^selection_visual_to_text\.(\d+)\.(weight|bias)$',
     r'selectors.\1.released_v2t_\2'),
    (r'^video_proj\.(weight|bias)$', r'visual_proj.\1'),
    (r'^text_proj\.(weight|bias)$', r'text_proj.\1'),
    (r'^(video|text)_interaction\.attn\.(.+)$', r'interaction.\1_attn.\2'),
    (r'^(video|text)_interaction\.ffn\.([03])\.(weight|bias)$',
     r'interaction.\1_ffn.\2.\3'),
    (r'^(video|text)_interaction\.norm2\.(weight|bias)$',
     r'interaction.\1_norm.\2'),
    (r'^(video|text)_interaction\.norm1\.(weight|bias)$',
     r'interaction.\1_attn_norm.\2'),
    (r'^segmentation_flow\.weight$', 'mil_head.w_smt.weight'),
)
IGNORED: Tuple[Tuple[str, str], ...] = (
    (r'^text_encoder\.pooler\.', 'RoBERTa pooler, used by neither model'),
    (r'position_ids$', 'position-id buffer, recomputed by transformers'),
    (r'relative_position_index$',
     'Swin window index buffer, recomputed (same formula)'),
    (r'^segmentation_flow\.bias$',
     'per-slot constant, cancels in the softmax over proposals (u_smt)'),
)
#: Target entries the source cannot have (kept from the built model).
TARGET_ONLY = (r'(^|\.)_iter$', )


def convert_state_dict(state: Dict[str, torch.Tensor], source: str,
                       target: Dict[str, torch.Tensor]
                       ) -> Tuple[Dict[str, torch.Tensor], KeyReport]:
    """Map their ``WSRVOSModel`` state dict onto our model's state dict.

    Args:
        state (dict): their state dict (``checkpoint['model']``).
        source (str): named in the report.
        target (dict): our model's state dict (names, shapes; target-only
            buffers are taken from it).

    Returns:
        tuple[dict, KeyReport]: the full state dict for our model and the
        report (shape mismatches are reported as missing targets).
    """
    report = KeyReport(source)
    out = {}
    for key, value in state.items():
        reason = next((r for p, r in IGNORED if re.search(p, key)), None)
        if reason is not None:
            report.ignore(key, reason)
            continue
        for pattern, repl in RULES:
            if re.match(pattern, key):
                new = re.sub(pattern, repl, key)
                if new in target and tuple(target[new].shape) != tuple(
                        value.shape):
                    report.unused.append(
                        f'{key} (shape {tuple(value.shape)} != '
                        f'{new} {tuple(target[new].shape)})')
                elif new not in target:
                    report.unused.append(f'{key} (-> {new}: not in the '
                                         'target model)')
                else:
                    out[new] = value.to(target[new].dtype)
                    report.mapped.append((key, new))
                break
        else:
            report.unused.append(key)
    for key, value in target.items():
        if key not in out and any(re.search(p, key) for p in TARGET_ONLY):
            out[key] = value
    report.set_missing(target, out)
    return out, report


def official_keys(state_keys: Iterable[str]) -> bool:
    """True when the keys look like their ``WSRVOSModel`` state dict."""
    keys = set(state_keys)
    return any(k.startswith('visual_encoder.') for k in keys) and any(
        k.startswith('segmentation_flow.') for k in keys)
