"""List the weight files a config needs, which are present (size, sha256
prefix) and the exact command that fetches or converts each missing one.

Example::

    python tools/misc/check_weights.py \\
        configs/reviosa/reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py

Exit code 0 when every file is present, 1 otherwise. Relative paths are
resolved against --root (default: the current directory, where tools/train.py
runs). See docs/model_zoo.md for the download list per config.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from rvos_plugin.weights.manifest import (  # noqa: E402
    find_weight_paths, inspect_path)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('config', help='config file')
    parser.add_argument('--root', default='.',
                        help='folder relative paths resolve against')
    parser.add_argument('--no-hash', action='store_true',
                        help='skip the sha256 of present files (fast)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides (as tools/train.py)')
    return parser.parse_args(argv)


def human(size: int) -> str:
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if size < 1024 or unit == 'GiB':
            return f'{size:.1f} {unit}' if unit != 'B' else f'{size} B'
        size /= 1024


def main(argv=None) -> int:
    from mmengine.config import Config, DictAction
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--o', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(
            ['--o', *args.cfg_options]).o)
    entries = [inspect_path(key, path, args.root, not args.no_hash)
               for key, path in find_weight_paths(cfg.to_dict())]
    print(f'Weights needed by {args.config} (root {osp.abspath(args.root)}):')
    if not entries:
        print('  none (random init or weights inside installed packages)')
    for e in entries:
        what = e.spec.what if e.spec else 'unknown file'
        if e.present:
            digest = f', sha256 {e.sha256}' if e.sha256 else ''
            print(f'  [present] {e.key} = {e.path}\n'
                  f'            {what}; {human(e.size)}{digest}')
        else:
            source = f'\n            source: {e.spec.source} ' \
                     f'({e.spec.size})' if e.spec else ''
            print(f'  [MISSING] {e.key} = {e.path}\n'
                  f'            {what}{source}\n'
                  f'            fetch:  {e.command()}')
    missing = [e for e in entries if not e.present]
    print(f'{len(entries) - len(missing)} present, {len(missing)} missing.')
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
