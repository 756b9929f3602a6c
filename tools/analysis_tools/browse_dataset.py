"""Save the frames of a dataset config with GT masks and expression drawn.

Builds the dataset of ``<split>_dataloader`` with its own pipeline (train:
random clip + flip as seen in training; val/test: every frame), and writes
for each sample ``<output-dir>/<video>/<exp_id>/<frame>.jpg``: a text banner
with the expression on top of the frame, the actor (referred) mask in red and
the target mask in blue, drawn with the mmengine ``Visualizer``.

Usage::

    python tools/analysis_tools/browse_dataset.py \
        configs/_base_/datasets/ref-ytvos.py --split train \
        --output-dir work_dirs/browse --max-samples 20 --data-root DIR

Masks loaded after the resize (test pipelines keep the GT at the original
size) are resized with nearest-neighbour interpolation to the drawn frame.
Splits without masks (e.g. Ref-YTVOS valid) show frames and text only;
frames without annotation (A2D/JHMDB window frames) say ``no GT``.
"""
import argparse
import os
import os.path as osp
import textwrap
from typing import List, Optional, Tuple

import cv2
import numpy as np
from mmengine.config import Config, DictAction

ACTOR_COLOUR = (255, 0, 0)   # red (RGB)
TARGET_COLOUR = (0, 0, 255)  # blue (RGB)
MASK_ALPHA = 0.5
_SPLIT_LOADER = dict(train='train_dataloader', val='val_dataloader',
                     test='test_dataloader')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='dataset (or full) config file')
    parser.add_argument('--split', default='train',
                        choices=list(_SPLIT_LOADER),
                        help='which dataloader (and pipeline) to browse')
    parser.add_argument('--output-dir', default='work_dirs/browse_dataset',
                        help='where <video>/<exp_id>/<frame>.jpg are saved')
    parser.add_argument('--max-samples', type=int, default=10,
                        help='number of samples (video, expression) to draw')
    parser.add_argument('--data-root', help='replaces the dataset data_root')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, xxx=yyy')
    return parser.parse_args(argv)


def build_browse_dataset(cfg: Config, split: str,
                         data_root: Optional[str] = None):
    """Build the dataset of ``<split>_dataloader`` with its pipeline.

    Raises:
        ValueError: The config has no such dataloader (e.g. JHMDB train).
    """
    from rvos_plugin.registry import DATASETS
    from rvos_plugin.utils import register_all_modules
    register_all_modules()
    loader = cfg.get(_SPLIT_LOADER[split])
    if not loader:
        raise ValueError(
            f'The config has no {_SPLIT_LOADER[split]} (dataset without a '
            f'{split} split); use another --split.')
    ds_cfg = loader['dataset'].copy()
    if data_root is not None:
        ds_cfg['data_root'] = data_root
    return DATASETS.build(ds_cfg)


def frame_mask(frame_sample, field: str,
               shape: Tuple[int, int]) -> Optional[np.ndarray]:
    """Bool mask (h, w) of ``field`` resized (nearest) to the drawn frame.

    Returns None when the frame has no such field.
    """
    if field not in frame_sample:
        return None
    mask = frame_sample.get(field).data[0].cpu().numpy().astype(np.uint8)
    if mask.shape != tuple(shape):
        mask = cv2.resize(mask, (shape[1], shape[0]),
                          interpolation=cv2.INTER_NEAREST)
    return mask > 0


def banner_lines(text: str, width: int, font_size: int) -> List[str]:
    """Wrap ``text`` to the width of the frame (about 0.75 em per char)."""
    chars = max(8, int(width / (0.75 * font_size)))
    return textwrap.wrap(text, chars) or ['']


def draw_frame(visualizer, img: np.ndarray, caption: str,
               actor: Optional[np.ndarray],
               target: Optional[np.ndarray]) -> np.ndarray:
    """Draw one frame: masks over the frame, caption in a banner above.

    Args:
        visualizer (mmengine.visualization.Visualizer): Drawing backend.
        img (np.ndarray): (h, w, 3) uint8 RGB frame.
        caption (str): Expression (and frame notes).
        actor (np.ndarray, optional): (h, w) bool actor mask (red).
        target (np.ndarray, optional): (h, w) bool target mask (blue).

    Returns:
        np.ndarray: (banner + h, w, 3) uint8 RGB; the last h rows are the
        frame.
    """
    h, w = img.shape[:2]
    visualizer.set_image(img)
    for mask, colour in ((actor, ACTOR_COLOUR), (target, TARGET_COLOUR)):
        if mask is not None and mask.any():
            visualizer.draw_binary_masks(mask, colors=[colour],
                                         alphas=MASK_ALPHA)
    drawn = visualizer.get_image()
    font_size = max(8, min(16, w // 40))
    lines = banner_lines(caption, w, font_size)
    line_h = int(font_size * 1.5)
    banner = np.zeros((line_h * len(lines) + 4, w, 3), np.uint8)
    visualizer.set_image(banner)
    visualizer.draw_texts(
        '\n'.join(lines), np.array([2, 2]), colors='white',
        font_sizes=font_size, vertical_alignments='top')
    return np.concatenate([visualizer.get_image(), drawn], axis=0)


def save_sample(visualizer, packed: dict, out_dir: str) -> List[str]:
    """Write every frame of one packed sample; return the written paths.

    Args:
        visualizer: mmengine Visualizer.
        packed (dict): Output of ``PackRVOSInputs`` (``inputs`` (T, 3, h, w)
            uint8 RGB, ``data_samples`` TrackDataSample).
        out_dir (str): Root output folder.
    """
    track = packed['data_samples']
    imgs = packed['inputs'].permute(0, 2, 3, 1).cpu().numpy()
    folder = osp.join(out_dir, str(track.video_id), str(track.exp_id))
    os.makedirs(folder, exist_ok=True)
    valid = track.get('gt_frame_valid')
    paths = []
    for t, frame in enumerate(track.video_data_samples):
        img = np.ascontiguousarray(imgs[t])
        actor = frame_mask(frame, 'gt_mask', img.shape[:2])
        target = frame_mask(frame, 'gt_target_mask', img.shape[:2])
        caption = track.expression
        if actor is None:
            caption += '  [no masks in this split]'
        elif valid is not None and not valid[t]:
            caption += '  [no GT]'
        if track.get('flip', False):
            caption += '  [flipped]'
        out = draw_frame(visualizer, img, caption, actor, target)
        path = osp.join(folder, frame.frame_name + '.jpg')
        cv2.imwrite(path, cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
        paths.append(path)
    return paths


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    dataset = build_browse_dataset(cfg, args.split, args.data_root)
    from mmengine.visualization import Visualizer
    visualizer = Visualizer.get_instance(f'rvos_browse_dataset_{id(args)}')
    written = []
    for idx in range(min(args.max_samples, len(dataset))):
        written += save_sample(visualizer, dataset[idx], args.output_dir)
    print(f'{len(written)} frames of {min(args.max_samples, len(dataset))} '
          f'samples saved under {args.output_dir}')
    return written


if __name__ == '__main__':
    main()
