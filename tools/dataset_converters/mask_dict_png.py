"""MeViS/InterRVOS ``mask_dict.json`` ↔ PNG folders ``<anno_id>/<frame>.png``.

``to-png``: one 0/255 PNG per (anno id, frame) where the object is present
(absent frames get no file). ``to-dict``: the reverse, null where a PNG is
missing; the frame count comes from ``--num-frames`` or the largest index.

Usage::

    python tools/dataset_converters/mask_dict_png.py to-png mask_dict.json OUT
    python tools/dataset_converters/mask_dict_png.py to-dict OUT mask_dict.json
"""
import argparse
import json
import os
import os.path as osp
import warnings

import numpy as np
from tqdm import tqdm


def mask_dict_to_png(mask_dict_path: str, out_dir: str,
                     frame_size=None, skip_invalid: bool = False) -> int:
    """Write PNGs; returns the number written.

    Raises:
        ValueError: an RLE of the wrong size (differs from ``frame_size`` or
            from the object's other frames), naming file, anno id, frame.
    """
    import cv2

    from rvos_plugin.evaluation.functional.rle import decode_rle
    with open(mask_dict_path) as f:
        masks = json.load(f)
    written, skipped = 0, []
    for anno_id, rles in tqdm(masks.items(), desc='mask_dict → PNG'):
        expected = tuple(frame_size) if frame_size else None
        for frame, rle in enumerate(rles):
            if rle is None:
                continue
            try:
                mask = decode_rle(
                    rle, source=f'{mask_dict_path}: anno id {anno_id}, '
                    f'frame {frame}', expected_hw=expected)
            except ValueError as err:
                if not skip_invalid:
                    raise ValueError(f'{err} (or pass --skip-invalid)')
                skipped.append(str(err))
                continue
            expected = mask.shape
            path = osp.join(out_dir, str(anno_id), f'{frame:05d}.png')
            os.makedirs(osp.dirname(path), exist_ok=True)
            cv2.imwrite(path, (mask > 0).astype(np.uint8) * 255)
            written += 1
    if skipped:
        warnings.warn(f'skipped {len(skipped)} invalid RLE(s); first: '
                      f'{skipped[0]}')
    return written


def png_to_mask_dict(png_dir: str, out_path: str, num_frames: int = None
                     ) -> int:
    """Write a mask dict from ``<anno_id>/<frame>.png``; returns #objects."""
    import cv2

    from rvos_plugin.evaluation.functional.rle import encode_rle
    out = {}
    for anno_id in tqdm(sorted(os.listdir(png_dir)), desc='PNG → mask_dict'):
        folder = osp.join(png_dir, anno_id)
        files = {int(osp.splitext(n)[0]): osp.join(folder, n)
                 for n in os.listdir(folder) if n.endswith('.png')}
        total = num_frames or (max(files) + 1 if files else 0)
        rles = [None] * total
        for frame, path in files.items():
            mask = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
            if mask is None:
                raise ValueError(f'unreadable PNG {path!r}')
            rles[frame] = encode_rle(mask)
        out[anno_id] = rles
    with open(out_path, 'w') as f:
        json.dump(out, f)
    return len(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('direction', choices=['to-png', 'to-dict'])
    parser.add_argument('src')
    parser.add_argument('dst')
    parser.add_argument('--num-frames', type=int)
    parser.add_argument('--skip-invalid', action='store_true')
    args = parser.parse_args()
    if args.direction == 'to-png':
        print(mask_dict_to_png(args.src, args.dst,
                               skip_invalid=args.skip_invalid))
    else:
        print(png_to_mask_dict(args.src, args.dst, args.num_frames))


if __name__ == '__main__':
    main()
