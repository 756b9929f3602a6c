"""Count videos, expressions, objects and samples of a dataset config.

Reads the annotations only (no frames are opened: ``check_media=False``
when the dataset supports it). The last printed line is a JSON object.

Usage::

    python tools/analysis_tools/dataset_stats.py \
        configs/_base_/datasets/ref-ytvos.py --split val --data-root DIR
"""
import argparse
import inspect
import json

from mmengine.config import Config, DictAction


def annotation_stats(data_list) -> dict:
    """Counts over data infos (docs/data_contract.md §1).

    ``expressions`` counts distinct ``query_id`` when present (A2D/JHMDB:
    one query gives several frame samples), else (video, exp_id);
    ``objects`` counts distinct (video, object id).
    """
    videos, expressions, objects = set(), set(), set()
    for info in data_list:
        vid = info['video_id']
        videos.add(vid)
        expressions.add(info.get('query_id') or (vid, info['exp_id']))
        for obj in list(info.get('obj_ids') or []) + list(
                info.get('anno_ids') or []):
            objects.add((vid, int(obj)))
    return dict(videos=len(videos), expressions=len(expressions),
                objects=len(objects), samples=len(data_list))


def build_dataset_from_config(cfg: Config, split: str,
                              data_root: str = None):
    """Build the ``<split>_dataloader`` dataset without pipeline or media."""
    from rvos_plugin.registry import DATASETS
    from rvos_plugin.utils import register_all_modules
    register_all_modules()
    loader = cfg.get(f'{split}_dataloader')
    if not loader:
        raise ValueError(f'the config has no {split}_dataloader')
    ds_cfg = loader['dataset'].copy()
    ds_cfg['pipeline'] = []
    if data_root is not None:
        ds_cfg['data_root'] = data_root
    cls = DATASETS.get(ds_cfg['type'])
    if 'check_media' in inspect.signature(cls.__init__).parameters:
        ds_cfg['check_media'] = False
    return DATASETS.build(ds_cfg)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--split', default='train',
                        choices=['train', 'val', 'test'])
    parser.add_argument('--data-root', help='replaces the dataset root')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    dataset = build_dataset_from_config(cfg, args.split, args.data_root)
    stats = annotation_stats(
        [dataset.get_data_info(i) for i in range(len(dataset))])
    stats.update(dataset=type(dataset).__name__, split=args.split)
    print(json.dumps(stats))


if __name__ == '__main__':
    main()
