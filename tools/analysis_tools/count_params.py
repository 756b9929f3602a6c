"""Count the total and trainable parameters of a config's model.

Usage::

    python tools/analysis_tools/count_params.py CONFIG [--cfg-options K=V ...]

Prints one line per top-level child module, then ``total: <N>`` and, last,
``trainable: <N>`` (parameters with ``requires_grad``; frozen encoders are
not trainable). Builds the model on CPU; pretrained paths must exist (or be
overridden, e.g. ``model.vision_encoder.pretrained=None``).
"""
import argparse
import os.path as osp
import sys

_REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from mmengine.config import Config, DictAction  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.hidden_dim=64')
    return parser.parse_args(argv)


def count_parameters(model) -> dict:
    """Return ``{'total': int, 'trainable': int, 'children': {name: (total,
    trainable)}}`` of a ``torch.nn.Module``."""
    children = {}
    for name, child in model.named_children():
        params = list(child.parameters())
        children[name] = (sum(p.numel() for p in params),
                          sum(p.numel() for p in params if p.requires_grad))
    params = list(model.parameters())
    return dict(
        total=sum(p.numel() for p in params),
        trainable=sum(p.numel() for p in params if p.requires_grad),
        children=children)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    from mmengine.utils import import_modules_from_strings
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    from rvos_plugin.utils import register_all_modules
    register_all_modules()
    from rvos_plugin.registry import MODELS
    model = MODELS.build(cfg.model)
    counts = count_parameters(model)
    for name, (total, trainable) in counts['children'].items():
        print(f'{name}: total {total} trainable {trainable}')
    print(f"total: {counts['total']}")
    print(f"trainable: {counts['trainable']}")
    return counts


if __name__ == '__main__':
    main()
