"""Convert a checkpoint trained with the authors' InterRVOS (ReVIOSa) or
Sa2VA code into an mmengine checkpoint of our ReVIOsA.

Sources (rvos_plugin/weights/official_reviosa.py has the key schemas):

* the HF folder their ``model/hf/convert_to_hf.py`` writes (``config.json``
  with ``model_type`` ``reviosa_chat`` / ``sa2va_chat``);
* their xtuner training checkpoint (``work_dirs/.../iter_N.pth``, a file or a
  DeepSpeed folder) + the base folders it was trained from
  (``--base-mllm checkpoints/InternVL2_5-1B --sam2
  checkpoints/sam2_hiera_large.pt``).

Tokens are matched by name: InterRVOS ``[SEG]``/``[SEG_OBJ]`` become our
``[SEG_ACT]``/``[SEG_TAR]`` (embedding and lm_head rows); a Sa2VA checkpoint
(single ``[SEG]``) goes into the Table 6 "only [SEG]" config
(``configs/reviosa/sa2va-baseline_*``). Their SAM2 is SAM2.0-L: the output
is tested with ``model.sam2.config=auto`` (or
``configs/sam2/sam2_hiera_l.yaml``).

Example::

    python tools/model_converters/reviosa_official_to_rvos.py \\
        work_dirs/reviosa_1b_hf checkpoints/reviosa_1b_official.pth \\
        --base-mllm checkpoints/InternVL2_5-1B
    python tools/test.py configs/reviosa/reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py \\
        checkpoints/reviosa_1b_official.pth --cfg-options \\
        model.sam2.checkpoint=checkpoints/sam2_hiera_large.pt model.sam2.config=auto

Exit code 1 on missing target keys or unexpected source keys (unless
--allow-unused).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

REVIOSA_1B = ('configs/reviosa/reviosa_internvl25-1b-lora_sam2-hiera-l_'
              '4xb2-10e_interrvos-8k.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('src', help='their HF folder or xtuner .pth')
    parser.add_argument('dst', help='output mmengine checkpoint (.pth)')
    parser.add_argument('--config', default=REVIOSA_1B,
                        help='our ReVIOsA config (default: ReVIOsA-1B)')
    parser.add_argument('--base-mllm', default=None,
                        help='InternVL2.5 folder they trained from (default:'
                        ' the config\'s model.mllm.pretrained)')
    parser.add_argument('--sam2', default=None,
                        help='SAM2 .pt they trained from (.pth sources)')
    parser.add_argument('--lora-r', type=int, default=128)
    parser.add_argument('--lora-alpha', type=int, default=256)
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides of the config')
    parser.add_argument('--allow-unused', action='store_true')
    return parser.parse_args(argv)


def load_config(config: str, cfg_options):
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(config)
    if cfg_options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--o', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--o', *cfg_options]).o)
    return cfg


def convert_checkpoint(src: str, dst: str, cfg, base_mllm=None, sam2=None,
                       lora_r: int = 128, lora_alpha: int = 256,
                       allow_unused: bool = False) -> int:
    """Convert ``src`` into our ReVIOsA built from ``cfg``; write ``dst``.

    Returns:
        int: 0 on success, 1 with the reason on stderr.
    """
    import torch

    from rvos_plugin.registry import MODELS
    from rvos_plugin.utils import register_all_modules
    from rvos_plugin.weights.key_report import ConversionError
    from rvos_plugin.weights.official_reviosa import (convert_to_ours,
                                                      load_official)
    from rvos_plugin.weights.sam2_checkpoint import (config_name,
                                                     identify_state_dict,
                                                     parse_config_name)
    register_all_modules()
    import projects.ReVIOsA.reviosa  # noqa: F401 (registers ReVIOsA)
    base_mllm = base_mllm or cfg.model.mllm.pretrained
    try:
        official = load_official(src, base_mllm=base_mllm,
                                 sam2_checkpoint=sam2, lora_r=lora_r,
                                 lora_alpha=lora_alpha)
    except (ConversionError, FileNotFoundError) as e:
        print(f'ERROR: {e}', file=sys.stderr)
        return 1
    sam_state = {k[len('sam2.'):]: v for k, v in official['state'].items()
                 if k.startswith('sam2.')}
    version, size = identify_state_dict(sam_state)
    cfg.model.mllm.update(pretrained=base_mllm, tokenizer=base_mllm)
    named = cfg.model.sam2.config
    if isinstance(named, str):  # the config of their SAM2's family
        wanted = parse_config_name(named)
        if size is None and wanted is not None:
            size = wanted[1]  # a stand-in of unreleased depth: config's size
        if size is not None:
            cfg.model.sam2.config = config_name(version, size)
    cfg.model.sam2.update(checkpoint=None, allow_random_init=True)
    model = MODELS.build(cfg.model)
    seg = [model.actor_token] + ([model.target_token]
                                 if model.target_token else [])
    # their [SEG] is the actor, [SEG_OBJ] the target (InterRVOS code)
    token_map = {'[SEG]': model.actor_token}
    if model.target_token:
        token_map['[SEG_OBJ]'] = model.target_token
    try:
        out, report = convert_to_ours(official, model.state_dict(),
                                      model.tokenizer.get_vocab(), token_map,
                                      src, seg)
        print(report.format())
        report.check(allow_unused=allow_unused)
    except ConversionError as e:
        print(f'ERROR: {e}', file=sys.stderr)
        return 1
    model.load_state_dict(out, strict=True)
    torch.save({'meta': dict(source=osp.abspath(src), family=official[
        'family'], sam2=f'SAM{version}', sam2_config=cfg.model.sam2.config,
                             converter='reviosa_official_to_rvos'),
                'state_dict': model.state_dict()}, dst)
    print(f'Wrote {dst}: their {official["family"]} checkpoint, SAM{version}'
          f' (test with model.sam2.config={cfg.model.sam2.config!r} or '
          "'auto' and the SAM2 .pt of that family).")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    return convert_checkpoint(
        args.src, args.dst, load_config(args.config, args.cfg_options),
        args.base_mllm, args.sam2, args.lora_r, args.lora_alpha,
        args.allow_unused)


if __name__ == '__main__':
    sys.exit(main())
