"""ReVIOsA: the authors' ``ReVIOSaChatModel`` (InterRVOS HF model; Sa2VA's
``Sa2VAChatModel`` with ``--family sa2va``) vs our ReVIOsA after
``tools/model_converters/reviosa_official_to_rvos.py``.

Their model is built from their HF model files (``ReVIOSa/model/hf/models``
of InterRVOS, or ``projects/llava_sam2/hf/models`` of Sa2VA): InternViT (24
layers) + Qwen2 LLM (24 layers) at width 64, ``mlp1``, ``text_hidden_fcs``
and their SAM2 copy at its real size (SAM2.0 Hiera-L, hard-coded in their
``SAM2()``), random weights, saved as their ``convert_to_hf.py`` does
(safetensors + ``config.json`` + tokenizer with their added tokens), converted
into the real ReVIOsA-1B config (only paths, widths and dtype overridden), and
both run in eval mode, fp32, on the same frames and text:

* the LLM's last hidden state and logits at the seg tokens of a teacher-forced
  answer (``Sure, [SEG] and [SEG_OBJ].`` for them, ``[SEG_ACT]``/``[SEG_TAR]``
  for us; logits over the shared base vocabulary and the mapped seg-token
  columns);
* ``text_hidden_fcs`` vs our projector on those states;
* SAM2 mask logits per frame at 1024x1024: their inference
  (``get_sam2_embeddings`` + ``language_embd_inference``: every frame gets the
  language prompt, SAM2's multimask output with the best predicted IoU) vs our
  per-frame decoding, as configured and with multimask+best-IoU (stage).

Usage::

    flock /tmp/rvos_heavy.lock python benchmarks/equivalence/reviosa_equivalence.py \\
        --official-src /work/ext/InterRVOS_index

Stubs (this script's ``sys.modules`` only): ``timm.models.layers.DropPath``
(drop-path 0 = identity); their SAM2 inference's hard-coded ``.cuda()`` returns
the CPU tensor (:func:`cuda_calls_stay_on_cpu`). Their files are imported as a
package from the given folder (they use relative imports).
"""
import argparse
import contextlib
import importlib
import json
import os.path as osp
import sys
import tempfile
import types

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (Comparison, IdentityDropPath, jsonable,  # noqa: E402
                     stub_module, summary)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@contextlib.contextmanager
def cuda_calls_stay_on_cpu():
    """Their SAM2 video inference hard-codes CUDA (``tensor.cuda()`` in
    ``_get_image_feature``, ``device``/``storage_device`` = ``cuda`` in
    ``init_state``'s state, reset by the caller): on a CPU-only machine,
    inside this block only,
    ``Tensor.cuda()`` returns the tensor itself and ``Tensor.to`` a CUDA
    device stays on the CPU. Dtype conversions (their bf16 memory features)
    are kept."""
    original_cuda, original_to = torch.Tensor.cuda, torch.Tensor.to

    def on_cpu(arg):
        is_cuda = (isinstance(arg, torch.device) and arg.type == 'cuda') or (
            isinstance(arg, str) and arg.startswith('cuda'))
        return torch.device('cpu') if is_cuda else arg

    def to(self, *args, **kwargs):
        args = tuple(on_cpu(a) for a in args)
        if 'device' in kwargs:
            kwargs['device'] = on_cpu(kwargs['device'])
        return original_to(self, *args, **kwargs)

    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    torch.Tensor.to = to
    try:
        yield
    finally:
        torch.Tensor.cuda, torch.Tensor.to = original_cuda, original_to
CFG_1B = osp.join(REPO, 'configs', 'reviosa',
                  'reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_'
                  'interrvos-8k.py')
WIDTH, FRAMES = 64, 2
FAMILIES = {
    'reviosa': ('ReVIOSa/model/hf/models', 'modeling_reviosa_chat',
                'configuration_reviosa_chat', 'ReVIOSaChatModel',
                'ReVIOSaChatConfig'),
    'sa2va': ('projects/llava_sam2/hf/models', 'modeling_sa2va_chat',
              'configuration_sa2va_chat', 'Sa2VAChatModel',
              'Sa2VAChatConfig'),
}


def import_official(src: str, family: str):
    sub, modeling, configuration, model_cls, cfg_cls = FAMILIES[family]
    folder = osp.join(src, sub)
    if not osp.isfile(osp.join(folder, modeling + '.py')):
        raise SystemExit(f'{folder}/{modeling}.py not found: pass the root '
                         'of a local copy of cvlab-kaist/InterRVOS '
                         '(--family reviosa) or magic-research/Sa2VA '
                         '(--family sa2va).')
    stub_module('timm.models.layers', DropPath=IdentityDropPath)
    pkg = types.ModuleType('official_hf')  # their folder, as a package
    pkg.__path__ = [folder]
    sys.modules['official_hf'] = pkg
    mod = importlib.import_module(f'official_hf.{modeling}')
    conf = importlib.import_module(f'official_hf.{configuration}')
    return getattr(mod, model_cls), getattr(conf, cfg_cls)



def build_theirs(model_cls, cfg_cls, family, workdir):
    """Their model + its HF folder (convert_to_hf layout) + a base InternVL
    folder of the same architecture (what our config builds from)."""
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    from rvos_plugin.testing.weight_fixtures import (
        internvl_original_config, make_internvl_original_folder,
        make_tiny_qwen2_tokenizer)
    from rvos_plugin.weights.official_reviosa import (REVIOSA_SPECIAL_TOKENS,
                                                      SA2VA_SPECIAL_TOKENS)
    base_dir = osp.join(workdir, 'InternVL2_5-1B')
    base_tok = make_tiny_qwen2_tokenizer(base_dir)
    hf_dir = osp.join(workdir, f'{family}_hf')
    tok = AutoTokenizer.from_pretrained(base_dir)
    tok.add_tokens(REVIOSA_SPECIAL_TOKENS if family == 'reviosa' else
                   SA2VA_SPECIAL_TOKENS, special_tokens=True)
    tok.save_pretrained(hf_dir)
    orig = internvl_original_config(
        vision_layers=24, llm_layers=24, vision_width=WIDTH, llm_width=WIDTH,
        image_size=56, vocab_size=len(tok))
    cfg = cfg_cls(**{k: v for k, v in orig.items() if k not in (
        'architectures', 'model_type', 'auto_map')})
    cfg.template = 'qwen_chat'
    torch.manual_seed(0)
    model = model_cls(cfg, use_flash_attn=False).float().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.05 + (p == 1).float())
    model._count = 0
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, osp.join(hf_dir, 'model.safetensors'),
              metadata={'format': 'pt'})
    with open(osp.join(hf_dir, 'config.json'), 'w') as f:
        json.dump(jsonable(dict(model.config.to_dict(),
                                model_type=f'{family}_chat')), f, indent=1)
    base_cfg = dict(orig, llm_config=dict(orig['llm_config'],
                                          vocab_size=len(base_tok)))
    base_state = {k: v for k, v in state.items()
                  if k.startswith(('vision_model.', 'language_model.',
                                   'mlp1.'))}
    for key in ('language_model.model.embed_tokens.weight',
                'language_model.lm_head.weight'):
        base_state[key] = base_state[key][:len(base_tok)]
    make_internvl_original_folder(base_dir, base_cfg, base_state)
    return model, tok, hf_dir, base_dir


def our_config(base_dir):
    from mmengine.config import Config
    cfg = Config.fromfile(CFG_1B)
    cfg.model.mllm.update(pretrained=base_dir, tokenizer=base_dir,
                          torch_dtype='float32')
    cfg.model.sam2.update(config='configs/sam2/sam2_hiera_l.yaml')
    return cfg


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--official-src', required=True)
    parser.add_argument('--family', default='reviosa',
                        choices=sorted(FAMILIES))
    args = parser.parse_args(argv)
    model_cls, cfg_cls = import_official(args.official_src, args.family)
    from rvos_plugin.registry import MODELS
    from rvos_plugin.testing._utils import load_tool_module
    from rvos_plugin.utils import register_all_modules
    register_all_modules()
    import projects.ReVIOsA.reviosa  # noqa: F401

    with tempfile.TemporaryDirectory() as workdir:
        theirs, their_tok, hf_dir, base_dir = build_theirs(
            model_cls, cfg_cls, args.family, workdir)
        tool = load_tool_module('model_converters',
                                'reviosa_official_to_rvos')
        dst = osp.join(workdir, 'ours.pth')
        cfg = our_config(base_dir)
        if args.family == 'sa2va':
            cfg.model.update(token_mode='single', actor_token='[SEG]',
                             target_token=None)
        if tool.convert_checkpoint(hf_dir, dst, cfg):
            raise SystemExit('conversion failed')
        cfg = our_config(base_dir)
        if args.family == 'sa2va':
            cfg.model.update(token_mode='single', actor_token='[SEG]',
                             target_token=None)
        cfg.model.sam2.update(checkpoint=None, allow_random_init=True)
        ours = MODELS.build(cfg.model)
        ours.load_state_dict(torch.load(dst, weights_only=False)[
            'state_dict'], strict=True)
        ours.eval()
    comp = Comparison(f'{args.family}: their {model_cls.__name__} vs our '
                      'ReVIOsA (converted)')
    g = torch.Generator().manual_seed(1)
    pixels = torch.randn(1, 3, 56, 56, generator=g)
    n_img = theirs.num_image_token
    img = '<img>' + '<IMG_CONTEXT>' * n_img + '</img>'
    seg_t = ['[SEG]', '[SEG_OBJ]'] if args.family == 'reviosa' else ['[SEG]']
    seg_o = [ours.actor_token] + ([ours.target_token]
                                  if ours.target_token else [])
    answer = 'Sure, ' + ' and '.join('{}' for _ in seg_t) + '.'
    text = ('<|im_start|>user\n' + img + '\nPlease segment the man riding '
            'the horse.<|im_end|>\n<|im_start|>assistant\n' + answer +
            '<|im_end|>')
    ids_t = their_tok(text.format(*seg_t), return_tensors='pt').input_ids
    ids_o = ours.tokenizer(text.format(*seg_o), return_tensors='pt',
                           add_special_tokens=False).input_ids
    theirs.img_context_token_id = their_tok.convert_tokens_to_ids(
        '<IMG_CONTEXT>')
    with torch.no_grad():
        out_t = theirs._llm_forward(
            pixel_values=pixels, input_ids=ids_t,
            attention_mask=torch.ones_like(ids_t),
            image_flags=torch.ones(1, dtype=torch.long),
            output_hidden_states=True, return_dict=True)
        out_o = ours.mllm(input_ids=ids_o, attention_mask=torch.ones_like(
            ids_o), pixel_values=pixels.to(ours.mllm.dtype),
                          output_hidden_states=True)
    # the base vocabulary (shared ids) ends where their added tokens start
    n_base = their_tok.convert_tokens_to_ids('[SEG]')
    hidden = {}
    for t_name, o_name in zip(seg_t, seg_o):
        pt = (ids_t[0] == their_tok.convert_tokens_to_ids(t_name)).nonzero()[
            0, 0]
        po = (ids_o[0] == ours.tokenizer.convert_tokens_to_ids(o_name)
              ).nonzero()[0, 0]
        h_t, h_o = out_t.hidden_states[-1][0, pt], out_o.hidden_states[-1][
            0, po]
        comp.add(f'LLM last hidden at {o_name}', h_o, h_t)
        cols_t = [their_tok.convert_tokens_to_ids(t) for t in seg_t]
        cols_o = [ours.tokenizer.convert_tokens_to_ids(t) for t in seg_o]
        comp.add(f'logits at {o_name} (base vocabulary)',
                 out_o.logits[0, po, :n_base], out_t.logits[0, pt, :n_base])
        comp.add(f'logits at {o_name} (seg-token columns)',
                 out_o.logits[0, po, cols_o], out_t.logits[0, pt, cols_t])
        with torch.no_grad():
            e_t = theirs.text_hidden_fcs(h_t[None])
            e_o = ours.projector(h_o[None])
        comp.add(f'SAM2 prompt (text_hidden_fcs) of {o_name}',
                 e_o.reshape(e_t.shape), e_t)
        hidden[o_name] = (e_t, e_o, h_o)
    # SAM2 on FRAMES frames at 1024 px, same pixels
    frames_255 = torch.rand(FRAMES, 3, 1024, 1024, generator=g) * 255
    grounding = theirs.grounding_encoder
    g_pix = torch.stack([grounding.preprocess_image(
        f.clone(), dtype=torch.float32) for f in frames_255])
    mean = torch.tensor([123.675, 116.28, 103.53])[:, None, None]
    std = torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    ours_frames = (frames_255 - mean) / std
    stage = Comparison(f'{args.family}: SAM2 stage (our decoder with '
                       'multimask + best IoU, as their inference)')
    for name, (e_t, e_o, h_o) in hidden.items():
        with torch.no_grad(), cuda_calls_stay_on_cpu():
            state = grounding.get_sam2_embeddings(g_pix)
            # their init_state hard-codes CUDA devices in the state
            state['device'] = state['storage_device'] = torch.device('cpu')
            masks_t = grounding.language_embd_inference(
                state, [e_t] * FRAMES)[:, 0]
        with torch.no_grad():
            masks_o = ours._segment_video(ours_frames, h_o[None],
                                          list(range(FRAMES)))
            comp.add(f'SAM2 mask logits of {name}, as configured '
                     '(1024 px)', masks_o, masks_t)
            feats = ours.sam2.encode(ours_frames)
            vf, sizes = feats['vision_feats'], feats['feat_sizes']
            pix = vf[-1].permute(1, 2, 0).reshape(FRAMES, -1, *sizes[-1])
            high = ours.sam2._high_res(vf, sizes)
            multi, _, _, _ = ours.sam2.decode(
                pix, high, e_o.reshape(1, 1, -1).expand(FRAMES, -1, -1), True)
            best = multi[:, 0]  # decode() keeps the best-IoU mask
            up = torch.nn.functional.interpolate(
                best[:, None], size=(1024, 1024), mode='bilinear',
                align_corners=False)[:, 0]
        stage.add(f'SAM2 mask logits of {name}, multimask best IoU', up,
                  masks_t)
    return summary({'converted end to end': comp.report(),
                    'SAM2 multimask stage': stage.report()})


if __name__ == '__main__':
    sys.exit(main())
