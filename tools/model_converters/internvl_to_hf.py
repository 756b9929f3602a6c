"""Convert an InternVL2.5 original (remote-code) folder into a
transformers-native ``InternVLForConditionalGeneration`` folder.

Sources: ``OpenGVLab/InternVL2_5-1B``, ``-4B`` and their ``-MPO`` releases
(same layout; Qwen2 LLM). The output holds ``config.json``
(``model_type='internvl'``), safetensors, the tokenizer (``<img>``,
``</img>``, ``<IMG_CONTEXT>`` as named special tokens, vocabulary unchanged),
InternVL2.5's chat template and the image processor.

Example::

    python tools/model_converters/internvl_to_hf.py \\
        checkpoints/InternVL2_5-1B checkpoints/InternVL2_5-1B-hf

Configs may also point straight at the original folder: the ReVIOsA MLLM
builder converts it once into ``<folder>-hf`` (same code).

Exit code 1 when a target key is missing or a source key is unexpected.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from rvos_plugin.weights.internvl import (  # noqa: E402
    convert_folder, default_cache_folder)
from rvos_plugin.weights.key_report import ConversionError  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('src', help='original InternVL2.5 folder '
                        '(config.json with model_type "internvl_chat")')
    parser.add_argument('dst', nargs='?', default=None,
                        help='output folder (default: <src>-hf)')
    parser.add_argument('--allow-unused', action='store_true',
                        help='drop source keys no rule maps (default: error)')
    parser.add_argument('--shard-size', default='2GB',
                        help='safetensors shard size (default 2GB)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    dst = args.dst or default_cache_folder(args.src)
    try:
        report = convert_folder(args.src, dst,
                                allow_unused=args.allow_unused,
                                shard_size=args.shard_size)
    except ConversionError as e:
        print(f'ERROR: {e}', file=sys.stderr)
        return 1
    print(report.format())
    print(f'Wrote {dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
