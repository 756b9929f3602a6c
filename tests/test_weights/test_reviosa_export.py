"""Export round trip (tools/model_converters/reviosa_to_hf.py): a tiny
ReVIOsA from the real 1B config, trained-like (LoRA B, seg-token rows,
projector and SAM2 decoder changed), exported, reloaded by transformers and
by our config -> identical logits and masks."""
import os.path as osp

import pytest
import torch

from rvos_plugin.testing._utils import load_tool_module
from rvos_plugin.testing.tiny_checkpoints import (save_tiny_sam2,
                                                  tiny_sam2_sizes)
from rvos_plugin.testing.weight_fixtures import (
    internvl_original_config, make_internvl_original_folder,
    make_tiny_qwen2_tokenizer)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_1B = osp.join(REPO, 'configs', 'reviosa',
                  'reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_'
                  'interrvos-8k.py')


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('checkpoints')
    folder = str(root / 'InternVL2_5-1B')
    tok = make_tiny_qwen2_tokenizer(folder)
    make_internvl_original_folder(folder, internvl_original_config(
        vision_layers=2, llm_layers=2, vocab_size=len(tok)))
    sam2 = save_tiny_sam2(str(root / 'sam2.1_hiera_large.pt'))
    return dict(mllm=folder, sam2=sam2)


def _cfg(files, **model):
    from mmengine.config import Config
    cfg = Config.fromfile(CFG_1B)
    cfg.model.mllm.update(pretrained=files['mllm'], tokenizer=files['mllm'],
                          torch_dtype='float32')
    cfg.model.sam2.update(checkpoint=files['sam2'],
                          hydra_overrides=tiny_sam2_sizes())
    cfg.model.update(num_points=64, **model)
    return cfg


def _build(cfg):
    from rvos_plugin.registry import MODELS
    from rvos_plugin.utils import register_all_modules
    register_all_modules()
    import projects.ReVIOsA.reviosa  # noqa: F401
    return MODELS.build(cfg.model).eval()


def _inputs(model):
    g = torch.Generator().manual_seed(3)
    pixels = torch.randn(1, 3, model.mllm_size, model.mllm_size, generator=g)
    text = model._prompt('Please segment the man riding the horse.', 1) + \
        'Sure, [SEG_ACT] and [SEG_TAR].'
    ids = torch.tensor([model._tokenize(text)])
    frames = torch.randn(3, 3, 64, 64, generator=g)
    return pixels, ids, frames


@torch.no_grad()
def _run(model, mllm, pixels, ids, frames):
    out = mllm(input_ids=ids, attention_mask=torch.ones_like(ids),
               pixel_values=pixels, output_hidden_states=True)
    pos = (ids[0] == model.actor_id).nonzero()[0, 0]
    seg = out.hidden_states[-1][:, pos]
    masks = model._segment_video(frames, seg, [0])
    return out.logits, masks


def test_export_round_trip(tmp_path, files, capsys):
    from transformers import InternVLForConditionalGeneration
    model = _build(_cfg(files))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if 'lora_B' in name or name.startswith(
                    ('new_token_rows', 'projector',
                     'sam2.sam.sam_mask_decoder')):
                p.add_(torch.randn(p.shape, generator=g) * 0.05)
    ckpt = str(tmp_path / 'epoch_1.pth')
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, ckpt)
    out = str(tmp_path / 'export')
    tool = load_tool_module('model_converters', 'reviosa_to_hf')
    info = tool.export(_cfg(files), ckpt, out)
    assert info['actor_token'] == '[SEG_ACT]' and info['sam2_family'] == \
        'SAM2.1'
    pixels, ids, frames = _inputs(model)
    logits, masks = _run(model, model.mllm, pixels, ids, frames)
    # transformers alone reads the MLLM (LoRA merged, seg rows written)
    hf, loading = InternVLForConditionalGeneration.from_pretrained(
        osp.join(out, 'mllm'), dtype=torch.float32, output_loading_info=True)
    assert not any(loading.values()), loading
    with torch.no_grad():
        hf_logits = hf(input_ids=ids, attention_mask=torch.ones_like(ids),
                       pixel_values=pixels).logits
    assert torch.allclose(hf_logits, logits, atol=1e-5)
    # our config reads the whole model back
    from rvos_plugin.weights.reviosa_export import load_exported_projector
    cfg = _cfg(files)
    cfg.model.mllm.update(pretrained=osp.join(out, 'mllm'),
                          tokenizer=osp.join(out, 'mllm'))
    cfg.model.sam2.checkpoint = osp.join(out, 'sam2.pt')
    again = _build(cfg)
    load_exported_projector(again, out)
    assert again.actor_id == model.actor_id
    logits2, masks2 = _run(again, again.mllm, pixels, ids, frames)
    assert torch.allclose(logits2, logits, atol=1e-5)
    assert torch.allclose(masks2, masks, atol=1e-5)
    assert torch.equal(masks2 > 0, masks > 0)
