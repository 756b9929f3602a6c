"""Export a ReVIOsA trained here (mmengine checkpoint) with the LoRA merged:
a transformers-native InternVL folder, the SAM2 ``.pt`` and the seg-token
projector (rvos_plugin/weights/reviosa_export.py has the layout).

Example::

    python tools/model_converters/reviosa_to_hf.py \\
        configs/reviosa/reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py \\
        work_dirs/reviosa_1b/epoch_10.pth checkpoints/ReVIOsA-1B-export

Load it back: ``transformers.InternVLForConditionalGeneration.from_pretrained(
'<out>/mllm')`` for the MLLM alone, or the whole model with our configs::

    python tools/test.py CONFIG <out>/seg_projector.pth --cfg-options \\
        model.mllm.pretrained=<out>/mllm model.mllm.tokenizer=<out>/mllm \\
        model.sam2.checkpoint=<out>/sam2.pt model.sam2.config=auto

(``reviosa_export.json`` in the folder lists these options.)
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('config', help='the config the model was trained '
                        'with')
    parser.add_argument('checkpoint', help='mmengine checkpoint (.pth)')
    parser.add_argument('out', help='output folder')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides of the config')
    return parser.parse_args(argv)


def export(cfg, checkpoint: str, out: str) -> dict:
    """Build the model of ``cfg``, load ``checkpoint`` strictly, export."""
    from mmengine.runner import load_checkpoint

    from rvos_plugin.registry import MODELS
    from rvos_plugin.utils import register_all_modules
    from rvos_plugin.weights.reviosa_export import export_reviosa
    register_all_modules()
    import projects.ReVIOsA.reviosa  # noqa: F401 (registers ReVIOsA)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return export_reviosa(model.eval(), out)


def main(argv=None) -> int:
    from mmengine.config import Config, DictAction
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--o', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(
            ['--o', *args.cfg_options]).o)
    if not osp.isfile(args.checkpoint):
        print(f'ERROR: {args.checkpoint} not found.', file=sys.stderr)
        return 1
    info = export(cfg, args.checkpoint, args.out)
    print(json.dumps(info, indent=1))
    print(f'Wrote {args.out}. Load: tools/test.py {args.config} '
          f'{info["load_from"]} --cfg-options ' + ' '.join(
              info['cfg_options']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
