"""Convert a checkpoint of the authors' WSRVOS code (``main.py``: ``best.pth``
/ ``last.pth`` with ``{'model': WSRVOSModel.state_dict()}``) into an
mmengine checkpoint of our ``WSRVOS`` built from a config with the
released-code switches.

Example::

    python tools/model_converters/wsrvos_official_to_rvos.py \\
        outputs/refytb/best.pth \\
        checkpoints/wsrvos_swin-t_official_refytb.pth \\
        --config configs/wsrvos/ablation/wsrvos_swin-t_roberta-b_released-code_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py

then ``tools/test.py <that config> checkpoints/wsrvos_swin-t_official_refytb.pth``.
The config must use ``selection.scorer='released_linear'`` (their fixed
selection maps) and their P + N; the default (released-code) config also sets
the other switches that make our forward compute theirs (checked by
benchmarks/equivalence/wsrvos_equivalence.py). The Video Swin and RoBERTa
weights come from the source checkpoint (the config's
``checkpoints/roberta-base`` folder is still read for the tokenizer and the
architecture).

Exit code 1 on missing target keys, and on unused source keys unless
--allow-unused: e.g. their interaction blocks' ``norm1`` into a config
without ``interaction.post_norm_block=True`` (the paper's interaction has no
such norm; see rvos_plugin/weights/official_wsrvos.py).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

RELEASED_T = ('configs/wsrvos/ablation/wsrvos_swin-t_roberta-b_released-code_'
              '4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('src', help="their checkpoint (main.py best.pth)")
    parser.add_argument('dst', help='output mmengine checkpoint (.pth)')
    parser.add_argument('--config', default=RELEASED_T,
                        help='our config with the released-code switches')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides of the config')
    parser.add_argument('--allow-unused', action='store_true',
                        help='drop source keys without a counterpart')
    return parser.parse_args(argv)


def load_config(config: str, cfg_options):
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(config)
    if cfg_options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--o', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--o', *cfg_options]).o)
    return cfg


def convert_checkpoint(src: str, dst: str, cfg,
                       allow_unused: bool = False) -> int:
    """Convert ``src`` into our model built from ``cfg``; write ``dst``.

    Returns:
        int: 0 on success, 1 with the reason on stderr.
    """
    import torch

    import rvos_plugin  # noqa: F401 (registers)
    from rvos_plugin.registry import MODELS
    from rvos_plugin.utils import register_all_modules
    from rvos_plugin.weights.key_report import ConversionError
    from rvos_plugin.weights.official_wsrvos import (convert_state_dict,
                                                     official_keys)
    if not osp.isfile(src):
        print(f'ERROR: {src} not found.', file=sys.stderr)
        return 1
    ckpt = torch.load(src, map_location='cpu', weights_only=True)
    state = ckpt.get('model', ckpt.get('model_state_dict', ckpt))
    if not official_keys(state):
        print(f'ERROR: {src} has no visual_encoder.* / segmentation_flow.* '
              'keys: not a WSRVOSModel checkpoint of viscom-tongji/WSRVOS.',
              file=sys.stderr)
        return 1
    register_all_modules()
    cfg.model.vision_encoder.pretrained = None  # weights come from src
    model = MODELS.build(cfg.model)
    out, report = convert_state_dict(state, src, model.state_dict())
    print(report.format())
    try:
        report.check(allow_unused=allow_unused)
    except ConversionError as e:
        print(f'ERROR: {e}', file=sys.stderr)
        return 1
    model.load_state_dict(out, strict=True)
    torch.save({'meta': dict(source=osp.abspath(src),
                             config=cfg.filename,
                             converter='wsrvos_official_to_rvos',
                             epoch=ckpt.get('epoch')),
                'state_dict': model.state_dict()}, dst)
    print(f'Wrote {dst} (tools/test.py {cfg.filename} {dst})')
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    return convert_checkpoint(args.src, args.dst,
                              load_config(args.config, args.cfg_options),
                              args.allow_unused)


if __name__ == '__main__':
    sys.exit(main())
