"""A2D-/JHMDB-Sentences ground truth → COCO instance json (for mAP).

One image and one annotation per sample (video, annotated frame,
instance); image ``file_name`` = ``v_{vid}_f_{frame}_i_{inst}`` (A2D) or
``v_{vid}_f_{frame}`` (JHMDB); ids start at 1. Uses the same dataset
classes and ``build_coco_gt`` as ``RVOSA2DMetric``.

Usage::

    python tools/dataset_converters/a2d_jhmdb_to_coco.py a2d \
        --data-root data/a2d_sentences --split test --out a2d_test_coco.json
    python tools/dataset_converters/a2d_jhmdb_to_coco.py jhmdb \
        --data-root data/jhmdb_sentences --out jhmdb_coco.json
"""
import argparse
import json

from tqdm import tqdm


def convert(dataset_name: str, data_root: str, out: str,
            split: str = 'test') -> int:
    """Write the COCO json; returns the number of images."""
    from rvos_plugin.datasets.transforms.file_masks import LoadRVOSFileMasks
    from rvos_plugin.evaluation.functional.referring_iou import \
        build_coco_gt
    from rvos_plugin.evaluation.functional.rle import encode_rle
    from rvos_plugin.registry import DATASETS
    from rvos_plugin.utils import register_all_modules
    register_all_modules()
    if dataset_name == 'a2d':
        cfg = dict(type='RVOSA2DSentencesDataset', split=split)
    else:
        cfg = dict(type='RVOSJHMDBSentencesDataset')
    dataset = DATASETS.build(dict(cfg, data_root=data_root, pipeline=[],
                                  check_media=False))
    loader = LoadRVOSFileMasks()
    records = []
    for idx in tqdm(range(len(dataset)), desc=f'{dataset_name} → COCO'):
        info = dataset.get_data_info(idx)
        info['frame_inds'] = [info['annotated_frame_ind']]
        mask = loader(info)['gt_masks'][0]
        records.append(dict(image_id=info['coco_image_id'],
                            gt_rle=encode_rle(mask)))
    coco, _ = build_coco_gt(records)
    with open(out, 'w') as f:
        json.dump(coco, f)
    return len(coco['images'])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dataset', choices=['a2d', 'jhmdb'])
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--split', default='test', choices=['train', 'test'])
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    print(convert(args.dataset, args.data_root, args.out, args.split))


if __name__ == '__main__':
    main()
