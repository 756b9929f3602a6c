"""WSRVOS: the authors' ``WSRVOSModel`` (viscom-tongji/WSRVOS) vs our
``WSRVOS`` with the released-code switches, after
``tools/model_converters/wsrvos_official_to_rvos.py``.

Their model is built at the real depth (Video Swin-T stages 2/2/6/2,
RoBERTa 12 layers, selection after blocks 3/6/9/12) and reduced width (Swin
16 channels, RoBERTa 32, D 64) with random weights; its state dict is saved
as their ``main.py`` does (``{'model': state_dict}``), converted by our
converter into the released-code config, and both run in eval mode on the
same clip (4 frames, 224x224) and expressions (P = 2, N = 3, non-empty).

Compared, end to end (their ``forward`` vs ours):
tokens, text embeddings, the visual/text features at each selection point
(before and after the selection), the final encoder features, the
interaction outputs, the per-slot similarity logits ``s`` (B, T, Nv, E), the
MIL frame scores ``y``, the fused map (Eq. (4)) and the pseudo-masks; and
their evaluation call (the query alone, ``''`` negatives) vs our
``predict`` path (``_query_features``): the query's map.
And stage by stage (our module fed *their* inputs), which isolates each
difference: selection, interaction, similarity, MIL, fusion.

Their intermediate values are read with wrappers around their own methods
(``_select_relevant_features``, ``_interact``, ``_mil_scores``) while their
``forward`` runs unchanged.

Usage::

    python benchmarks/equivalence/wsrvos_equivalence.py --official-src /work/ext/WSRVOS

``--cfg-options model.cls_text_features=pre_interaction`` (any key of our
released-code config) shows what one switch accounts for (the conversion then
allows unused source keys, e.g. ``norm1`` without ``post_norm_block``).

Stubs (this script's ``sys.modules`` only): ``timm.models.layers``
(``DropPath`` = identity at drop-path 0 in eval, ``trunc_normal_`` =
``torch.nn.init.trunc_normal_``) and the package ``wsrvos`` without its
``__init__`` (which imports their data pipeline: pandas, h5py, ...).
"""
import argparse
import importlib.util
import os.path as osp
import sys
import tempfile
import types

import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import Comparison, stub_module, summary  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RELEASED = osp.join(REPO, 'configs', 'wsrvos', 'ablation',
                    'wsrvos_swin-t_roberta-b_released-code_4xb1-4x10x1-50e_'
                    'ref-ytvos_test-ref-davis17.py')
P, N, D, SWIN_C = 2, 3, 64, 16
POSITIVES = ['the man riding a horse', 'a man on the horse']
NEGATIVES = ['the red ball', 'a dog jumps', 'the girl throwing it']


class _DropPath(torch.nn.Module):
    """timm DropPath at eval time (identity)."""

    def __init__(self, drop_prob=0.0):
        super().__init__()

    def forward(self, x):
        return x


def import_official(src: str):
    if not osp.isfile(osp.join(src, 'wsrvos', 'model.py')):
        raise SystemExit(f'{src}: no wsrvos/model.py; pass the root of a '
                         'local copy of https://github.com/viscom-tongji/'
                         'WSRVOS.')
    stub_module('timm.models.layers', DropPath=_DropPath,
                trunc_normal_=torch.nn.init.trunc_normal_)
    sys.path.insert(0, src)
    pkg = types.ModuleType('wsrvos')
    pkg.__path__ = [osp.join(src, 'wsrvos')]
    sys.modules['wsrvos'] = pkg
    spec = importlib.util.spec_from_file_location(
        'wsrvos.model', osp.join(src, 'wsrvos', 'model.py'))
    model_mod = importlib.util.module_from_spec(spec)
    sys.modules['wsrvos.model'] = model_mod
    spec.loader.exec_module(model_mod)
    from models import video_swin_transformer as vst
    return model_mod, vst


def their_config(roberta: str):
    ns = types.SimpleNamespace
    return ns(
        model=ns(visual_backbone='video-swin-equivalence', use_checkpoint=False,
                 visual_pretrained=None, text_encoder=roberta,
                 freeze_visual_encoder=True, freeze_text_encoder=True,
                 hidden_dim=D, num_heads=8, num_positive=P, num_negative=N,
                 selection_layers=[3, 6, 9, 12], selection_topk_visual=10,
                 selection_topk_text=10, mask_threshold=0.4),
        loss=ns(lambda_seg=2.0, lambda_tmp=1.0, ranking_epsilon=0.1))


def build_theirs(model_mod, vst, roberta: str):
    vst.configs['video-swin-equivalence'] = dict(
        vst.configs['video-swin-t'], embed_dim=SWIN_C,
        num_heads=[1, 2, 4, 8], drop_path_rate=0.0)
    torch.manual_seed(0)
    model = model_mod.WSRVOSModel(their_config(roberta))
    with torch.no_grad():  # random values everywhere (norms, biases too)
        for name, p in model.named_parameters():
            if 'text_encoder' not in name:
                p.copy_(torch.randn_like(p) * 0.1 + (p == 1).float())
    return model.eval()


def record(obj, name, store):
    """Wrap ``obj.name`` to append ``(args, output)`` to ``store``."""
    fn = getattr(obj, name)

    def wrapped(*args, **kwargs):
        out = fn(*args, **kwargs)
        store.append((args, out))
        return out
    setattr(obj, name, wrapped)


def run_theirs(model, frames, confidences):
    calls = {'sel': [], 'interact': [], 'mil': []}
    record(model, '_select_relevant_features', calls['sel'])
    record(model, '_interact', calls['interact'])
    record(model, '_mil_scores', calls['mil'])
    final = []
    h = model.visual_encoder.norm.register_forward_hook(
        lambda m, i, o: final.append(o))
    batch = dict(videos=types.SimpleNamespace(
        tensors=frames.permute(1, 0, 2, 3, 4)),
                 original_texts=[POSITIVES[0]], positive_texts=[POSITIVES],
                 negative_texts=[NEGATIVES],
                 positive_confidences=[confidences])
    with torch.no_grad():
        out = model(batch)
    h.remove()
    return out, calls, final[0]


def run_theirs_eval(model, frames):
    """Their evaluation call (engine.evaluate): the query as the positives,
    no negatives (``forward`` pads them with ``''``)."""
    batch = dict(videos=types.SimpleNamespace(
        tensors=frames.permute(1, 0, 2, 3, 4)),
                 original_texts=[POSITIVES[0]], positive_texts=[[]],
                 negative_texts=[[]], positive_confidences=[[]])
    with torch.no_grad():
        return model(batch)['pred_masks']


def ours_config(roberta: str, cfg_options=None):
    from mmengine.config import Config
    cfg = Config.fromfile(RELEASED)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.vision_encoder.update(
        arch=dict(embed_dims=SWIN_C, depths=(2, 2, 6, 2),
                  num_heads=(1, 2, 4, 8)), pretrained=None)
    cfg.model.text_encoder.model_path = roberta
    cfg.model.update(hidden_dim=D, num_positives=P, num_negatives=N)
    return cfg


def convert_and_build(theirs, workdir, roberta, cfg_options=None):
    """Their state dict saved as main.py does -> our converter -> our
    model loaded from the converted checkpoint (unused source keys are
    allowed only when ``cfg_options`` change the released-code config)."""
    from rvos_plugin.registry import MODELS
    from rvos_plugin.testing._utils import load_tool_module
    src = osp.join(workdir, 'best.pth')
    torch.save({'epoch': 1, 'model': theirs.state_dict()}, src)
    dst = osp.join(workdir, 'converted.pth')
    tool = load_tool_module('model_converters', 'wsrvos_official_to_rvos')
    cfg = ours_config(roberta, cfg_options)
    if tool.convert_checkpoint(src, dst, cfg,
                               allow_unused=bool(cfg_options)):
        raise SystemExit('conversion failed')
    model = MODELS.build(cfg.model)
    state = torch.load(dst, map_location='cpu',
                       weights_only=False)['state_dict']
    model.load_state_dict(state, strict=True)
    return model.eval()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--official-src', required=True,
                        help='root of a local copy of viscom-tongji/WSRVOS')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={},
        help='overrides of our released-code config, e.g. '
        'model.cls_text_features=pre_interaction to see what one switch '
        'accounts for')
    args = parser.parse_args(argv)
    model_mod, vst = import_official(args.official_src)
    import rvos_plugin  # noqa: F401
    from rvos_plugin.testing.weight_fixtures import (
        make_tiny_roberta_folder, wsrvos_official_state_dict)
    from rvos_plugin.utils import register_all_modules
    register_all_modules()
    import projects.WSRVOS.wsrvos  # noqa: F401
    from projects.WSRVOS.wsrvos.pseudo_mask import fuse_positive_predictions
    from projects.WSRVOS.wsrvos.similarity import similarity_maps

    with tempfile.TemporaryDirectory() as workdir:
        roberta = make_tiny_roberta_folder(osp.join(workdir, 'roberta-base'))
        theirs = build_theirs(model_mod, vst, roberta)
        schema = set(wsrvos_official_state_dict(
            roberta, hidden_dim=D, num_positive=P, num_negative=N))
        actual = set(theirs.state_dict())
        print(f'key schema: {len(actual)} keys in their state dict; ours '
              f'generates {len(schema)}; only theirs: '
              f'{sorted(actual - schema)[:3]}, only ours: '
              f'{sorted(schema - actual)[:3]}')
        ours = convert_and_build(theirs, workdir, roberta, args.cfg_options)
    g = torch.Generator().manual_seed(1)
    frames = torch.randn(1, 4, 3, 224, 224, generator=g)
    confidences = [0.7, 0.3]
    t_eval = run_theirs_eval(theirs, frames)
    t_out, calls, t_final = run_theirs(theirs, frames, confidences)

    texts = [POSITIVES + NEGATIVES]
    condition = torch.tensor([[True] * P + [False] * N])
    valid = torch.ones(1, P + N, dtype=torch.bool)
    sel_io, inter_io = [], []
    hooks = [s.register_forward_hook(
        lambda m, i, o: sel_io.append((i, o))) for s in ours.selectors]
    hooks.append(ours.interaction.register_forward_hook(
        lambda m, i, o: inter_io.append((i, o))))
    # the model's own training path (its condition_on /
    # selection_condition_on decide which slots condition what)
    slots = dict(texts=texts, valid=valid, positive=condition)
    enc_calls = []
    record(ours, 'encoders', enc_calls)
    with torch.no_grad():
        feats = ours._training_features(frames, slots, None)
        y = ours.mil_head(feats['visual'], feats['sim'], feats['text_cls'],
                          valid)['y']
        conf = torch.tensor([confidences])
        pos_sim = feats['sim'][..., :P].permute(0, 1, 3, 2)
        fused = fuse_positive_predictions(pos_sim, conf[:, None].expand(
            1, 4, P))
    for h in hooks:
        h.remove()

    end = Comparison('WSRVOS end to end (their forward vs ours, converted '
                     'weights)')
    tok_t = theirs.tokenizer(texts[0], padding=True, truncation=True,
                             return_tensors='pt')['input_ids']
    tok_o = ours.text_encoder.tokenize(texts[0])['input_ids']
    end.add('token ids', tok_o.float(), tok_t.float())
    for k, ((t_args, t_res), (o_in, o_res)) in enumerate(
            zip(calls['sel'], sel_io)):
        t_vis_in = t_args[1].permute(0, 2, 3, 4, 1).flatten(2, 3)
        end.add(f'point {k}: visual before selection', o_in[0], t_vis_in)
        end.add(f'point {k}: text before selection', o_in[1], t_args[2])
        end.add(f'point {k}: visual after selection', o_res[0],
                t_res[0].permute(0, 2, 3, 4, 1).flatten(2, 3))
        end.add(f'point {k}: text after selection', o_res[1], t_res[1])
    o_final = enc_calls[0][1][0]
    end.add('final visual features (after norm)', o_final,
            t_final.flatten(2, 3))
    t_video, t_expr = calls['interact'][0][1]
    end.add('interaction: video tokens F\'_V', feats['visual'], t_video)
    end.add('interaction: expression features F\'_Z', feats['text'], t_expr)
    t_scores, t_sim = calls['mil'][0][1]
    end.add('per-slot similarity logits s (B,T,Nv,E)', feats['raw_sim'],
            t_sim)
    end.add('MIL frame scores y (B,T,E)', y, t_scores)
    end.add('fused map s_final (Eq. 4 logits)', fused,
            t_out['pred_masks'].flatten(2))
    end.add('pseudo-masks (sigmoid > 0.4)', (fused.sigmoid() > 0.4).float(),
            t_out['pseudo_masks'].flatten(2))

    query = types.SimpleNamespace(metainfo=dict(expression=POSITIVES[0],
                                                video_id='equivalence'))
    with torch.no_grad():
        o_eval = ours._query_features(frames, [query])['sim'][..., 0]
    end.add('evaluation: query map (their evaluate() forward)', o_eval,
            t_eval.flatten(2))

    stage = Comparison('WSRVOS stage by stage (our module fed their inputs)')
    for k, (t_args, t_res) in enumerate(calls['sel']):
        vis = t_args[1].permute(0, 2, 3, 4, 1).flatten(2, 3)
        B = vis.shape[0]
        with torch.no_grad():
            o_vis, o_txt = ours.selectors[k](
                vis, t_args[2], t_args[3].bool(),
                torch.ones(B, P + N, dtype=torch.bool))
        stage.add(f'selection {k}: visual (all slots amplify)', o_vis,
                  t_res[0].permute(0, 2, 3, 4, 1).flatten(2, 3))
        stage.add(f'selection {k}: text', o_txt, t_res[1])
    t_args = calls['interact'][0][0]
    vis_t = t_args[0].permute(0, 2, 3, 4, 1).flatten(1, 3)
    with torch.no_grad():
        fv = ours.visual_proj(vis_t)
        fz = ours.text_proj(t_args[1])
        o_v, o_z = ours.interaction(fv, fz, t_args[2].bool(), condition)
        from projects.WSRVOS.wsrvos.feature_selection import masked_mean
        o_e = masked_mean(o_z, t_args[2].bool(), dim=2)
    stage.add('interaction: video tokens', o_v.reshape(t_video.shape),
              t_video)
    stage.add('interaction: expression features', o_e, t_expr)
    with torch.no_grad():
        o_sim = similarity_maps(t_video, t_expr, 'cosine')
        o_y = ours.mil_head(t_video, o_sim, t_expr, valid)['y']
        o_fused = fuse_positive_predictions(
            t_sim[..., :P].permute(0, 1, 3, 2),
            conf[:, None].expand(1, 4, P))
    stage.add('similarity s (cosine)', o_sim, t_sim)
    stage.add('MIL y (W_cls = their F\'_Z)', o_y, t_scores)
    stage.add('fusion s_final', o_fused, t_out['pred_masks'].flatten(2))
    return summary({'key schema': schema == actual,
                    'end to end': end.report(),
                    'stage by stage': stage.report()})


if __name__ == '__main__':
    sys.exit(main())
