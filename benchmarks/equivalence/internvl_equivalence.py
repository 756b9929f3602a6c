"""InternVL2.5: the authors' original modeling code vs transformers'
``InternVLForConditionalGeneration`` after ``internvl_to_hf.py``.

A tiny random InternVL2.5 is built from the authors' ``InternVLChatModel``
(``internvl_chat/internvl/model/internvl_chat`` of a local copy of
OpenGVLab/InternVL) at the real depth (InternViT-300M: 24 layers; LLM: 24
layers for 1B (Qwen2.5-0.5B), 36 for 4B (Qwen2.5-3B)) and reduced width, saved
in the original format (``config.json`` of their config class, with
``model_type='internvl_chat'``, + safetensors) with a Qwen2 tokenizer, converted
by ``rvos_plugin.weights.internvl.convert_folder`` (what
``tools/model_converters/internvl_to_hf.py`` runs) and reloaded from disk by
transformers. Compared in fp32, eval mode, same inputs:

* the key set of the authors' state dict vs our key-schema generator
  (``rvos_plugin.testing.weight_fixtures``, used by the CI tests);
* ViT last hidden state, projected image features (``extract_feature`` vs
  ``get_image_features``), LLM logits of an image+text prompt;
* the chat prompt of their conversation template ``internvl2_5`` vs the chat
  template the converter writes.

Usage::

    python benchmarks/equivalence/internvl_equivalence.py \\
        --official-src /work/ext/InternVL [--sizes 1b 4b] [--width 64]

Stubs (this script's ``sys.modules`` only): ``timm.models.layers.DropPath``
(timm is not a dependency; drop_path_rate is 0, so it is the identity).
"""
import argparse
import json
import os.path as osp
import sys
import tempfile

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (Comparison, IdentityDropPath, jsonable,  # noqa: E402
                     stub_module, summary)

LLM_DEPTH = {'1b': 24, '4b': 36}



def import_official(src: str):
    root = osp.join(src, 'internvl_chat')
    if not osp.isfile(osp.join(root, 'internvl', 'model', 'internvl_chat',
                               'modeling_internvl_chat.py')):
        raise SystemExit(
            f'{src}: no internvl_chat/internvl/model/internvl_chat/'
            'modeling_internvl_chat.py; pass the root of a local copy of '
            'https://github.com/OpenGVLab/InternVL.')
    stub_module('timm.models.layers', DropPath=IdentityDropPath)
    sys.path.insert(0, root)
    from internvl.conversation import get_conv_template
    from internvl.model.internvl_chat import (InternVLChatConfig,
                                              InternVLChatModel)
    return InternVLChatConfig, InternVLChatModel, get_conv_template


def run_size(size: str, official, width: int, workdir: str) -> bool:
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, InternVLForConditionalGeneration

    from rvos_plugin.testing.weight_fixtures import (
        internvl_original_config, internvl_original_state_dict,
        make_tiny_qwen2_tokenizer)
    from rvos_plugin.weights.internvl import convert_folder
    ChatConfig, ChatModel, get_conv_template = official
    orig_dir = osp.join(workdir, f'InternVL2_5-{size.upper()}')
    tokenizer = make_tiny_qwen2_tokenizer(orig_dir)
    cfg = internvl_original_config(
        vision_layers=24, llm_layers=LLM_DEPTH[size], vision_width=width,
        llm_width=width, image_size=56, vocab_size=len(tokenizer))
    torch.manual_seed(0)
    theirs = ChatModel(ChatConfig(**{
        k: v for k, v in cfg.items()
        if k not in ('architectures', 'model_type', 'auto_map')}),
                       use_flash_attn=False).float().eval()
    # random (not zero/one) values everywhere, incl. norms and layer scales
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn_like(p) * 0.05 + (p == 1).float())
    theirs.img_context_token_id = tokenizer.convert_tokens_to_ids(
        '<IMG_CONTEXT>')
    schema = set(internvl_original_state_dict(cfg))
    actual = set(theirs.state_dict())
    print(f'[{size}] key schema: {len(actual)} keys in their state dict; '
          f'ours generates {len(schema)}; only theirs: '
          f'{sorted(actual - schema)[:3]}, only ours: '
          f'{sorted(schema - actual)[:3]}')
    # their config's save_pretrained (use_diff) fails on transformers 4.57;
    # the full dict is what their release's config.json holds
    with open(osp.join(orig_dir, 'config.json'), 'w') as f:
        json.dump(jsonable(theirs.config.to_dict()), f, indent=1)
    save_file({k: v.contiguous() for k, v in theirs.state_dict().items()},
              osp.join(orig_dir, 'model.safetensors'),
              metadata={'format': 'pt'})
    native_dir = orig_dir + '-hf'
    report = convert_folder(orig_dir, native_dir)
    print(report.format(max_keys=3))
    ours = InternVLForConditionalGeneration.from_pretrained(
        native_dir, dtype=torch.float32).eval()
    native_tok = AutoTokenizer.from_pretrained(native_dir)

    comp = Comparison(f'InternVL2.5-{size.upper()} (24 ViT + '
                      f'{LLM_DEPTH[size]} LLM layers, width {width})')
    g = torch.Generator().manual_seed(1)
    pixels = torch.randn(2, 3, 56, 56, generator=g)
    with torch.no_grad():
        v_theirs = theirs.vision_model(pixel_values=pixels,
                                       return_dict=True).last_hidden_state
        v_ours = ours.model.vision_tower(pixel_values=pixels).last_hidden_state
        comp.add('vision last_hidden_state', v_ours, v_theirs)
        f_theirs = theirs.extract_feature(pixels)
        f_ours = ours.model.get_image_features(
            pixel_values=pixels, vision_feature_layer=-1,
            vision_feature_select_strategy='default')
        comp.add('image features (after mlp1)', f_ours, f_theirs)
        n_img = f_theirs.shape[1]
        conv = get_conv_template('internvl2_5')
        conv.append_message(conv.roles[0], '<image>\nSegment the man riding'
                            ' the horse.')
        conv.append_message(conv.roles[1], None)
        prompt_theirs = conv.get_prompt()
        prompt_ours = native_tok.apply_chat_template(
            [{'role': 'user', 'content': '<image>\nSegment the man riding the'
              ' horse.'}], tokenize=False, add_generation_prompt=True)
        print(f'[{size}] chat prompt identical to their internvl2_5 template:'
              f' {prompt_theirs == prompt_ours}')
        image_block = '<img>' + '<IMG_CONTEXT>' * n_img + '</img>'
        texts = [prompt_theirs.replace('<image>', image_block)] * 2
        batch = tokenizer(texts, return_tensors='pt')
        logits_theirs = theirs(
            pixel_values=pixels, input_ids=batch.input_ids,
            attention_mask=batch.attention_mask,
            image_flags=torch.ones(2, 1, dtype=torch.long)).logits
        logits_ours = ours(pixel_values=pixels, input_ids=batch.input_ids,
                           attention_mask=batch.attention_mask).logits
        comp.add('LLM logits (image + text prompt)', logits_ours,
                 logits_theirs)
    return comp.report() and prompt_theirs == prompt_ours and \
        not report.missing and schema == actual


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--official-src', required=True,
                        help='root of a local copy of OpenGVLab/InternVL')
    parser.add_argument('--sizes', nargs='+', default=['1b', '4b'],
                        choices=sorted(LLM_DEPTH))
    parser.add_argument('--width', type=int, default=64,
                        help='hidden width of the ViT and the LLM')
    args = parser.parse_args(argv)
    official = import_official(args.official_src)
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        for size in args.sizes:
            results[f'InternVL2.5-{size.upper()}'] = run_size(
                size, official, args.width, workdir)
    return summary(results)


if __name__ == '__main__':
    sys.exit(main())
