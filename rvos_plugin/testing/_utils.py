"""Tiny fixtures for tests: no network, no weights, no generated data set."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
import torch


from rvos_plugin.evaluation.functional.rle import encode_rle  # noqa: F401


def make_mevis_fixture(root: str,
                       split: str = 'train',
                       num_videos: int = 2,
                       num_frames: int = 5,
                       size: tuple = (24, 32),
                       with_masks: bool = True,
                       write_mp4: bool = False) -> Dict[str, List[np.ndarray]]:
    """Write a tiny InterRVOS/MeViS-format split under ``root/split``.

    Each video has two objects: a red box (anno id ``10*v+1``) moving right
    and a blue box (``10*v+2``) that is still and absent in the last frame.
    Expressions: "0" red box (single), "1" both (multi), "2" red pushing blue
    (unidirectional, target = blue).

    Returns:
        dict: ``{anno_id: [mask (H, W) per frame]}`` for checking loaders.
    """
    import cv2
    h, w = size
    split_dir = osp.join(root, split)
    videos, mask_dict, truth = {}, {}, {}
    for v in range(num_videos):
        vid = f'video{v}'
        frame_dir = osp.join(split_dir, 'JPEGImages', vid)
        os.makedirs(frame_dir, exist_ok=True)
        red_id, blue_id = 10 * v + 1, 10 * v + 2
        masks = {red_id: [], blue_id: []}
        frames = []
        for t in range(num_frames):
            img = np.full((h, w, 3), 40, np.uint8)
            red = np.zeros((h, w), np.uint8)
            x0 = min(2 + 2 * t, w - 6)
            red[4:10, x0:x0 + 5] = 1
            blue = np.zeros((h, w), np.uint8)
            if t < num_frames - 1:
                blue[12:20, 20:28] = 1
            img[blue > 0] = (0, 0, 255)
            img[red > 0] = (255, 0, 0)
            name = f'{t:05d}'
            frames.append(name)
            cv2.imwrite(
                osp.join(frame_dir, name + '.jpg'),
                cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, 100])
            masks[red_id].append(red)
            masks[blue_id].append(blue)
        if write_mp4:
            os.makedirs(osp.join(split_dir, 'videos'), exist_ok=True)
            writer = cv2.VideoWriter(
                osp.join(split_dir, 'videos', vid + '.mp4'),
                cv2.VideoWriter_fourcc(*'mp4v'), 10, (w, h))
            for name in frames:
                writer.write(cv2.imread(osp.join(frame_dir, name + '.jpg')))
            writer.release()
        for anno_id, seq in masks.items():
            mask_dict[str(anno_id)] = [
                encode_rle(m) if m.any() else None for m in seq
            ]
            truth[anno_id] = seq
        none_roles = {'subject': [], 'object': []}
        videos[vid] = dict(
            vid_id=v,
            frames=frames,
            expressions={
                '0':
                dict(
                    exp='the red box moving right',
                    obj_id=[1],
                    anno_id=[red_id],
                    caption_type='single',
                    **{
                        'subject/object':
                        dict(obj_id=none_roles, anno_id=none_roles)
                    }),
                '1':
                dict(
                    exp='the two boxes',
                    obj_id=[1, 2],
                    anno_id=[red_id, blue_id],
                    caption_type='multi'),
                '2':
                dict(
                    exp='the red box pushing the blue box',
                    obj_id=[1],
                    anno_id=[red_id],
                    caption_type='unidirectional',
                    **{
                        'subject/object':
                        dict(
                            obj_id=dict(subject=[1], object=[2]),
                            anno_id=dict(
                                subject=[red_id], object=[blue_id]))
                    }),
            })
    os.makedirs(split_dir, exist_ok=True)
    with open(osp.join(split_dir, 'meta_expressions.json'), 'w') as f:
        json.dump(dict(videos=videos), f)
    if with_masks:
        with open(osp.join(split_dir, 'mask_dict.json'), 'w') as f:
            json.dump(mask_dict, f)
    return truth


def demo_rvos_batch(batch_size: int = 2,
                    num_frames: int = 3,
                    size: tuple = (32, 32),
                    expressions: Optional[List[str]] = None,
                    with_masks: bool = True,
                    seed: int = 0) -> dict:
    """A hand-made packed batch (what the dataloader yields).

    Returns:
        dict: ``inputs`` list of (T, 3, H, W) uint8 and ``data_samples``
        list of TrackDataSample with ``gt_mask``/``gt_target_mask``.
    """
    from mmdet.structures import DetDataSample, TrackDataSample
    from mmengine.structures import PixelData
    rng = np.random.RandomState(seed)
    h, w = size
    texts = expressions or ['the red box', 'the blue box on the left']
    inputs, samples = [], []
    for b in range(batch_size):
        inputs.append(
            torch.from_numpy(
                rng.randint(0, 256, (num_frames, 3, h, w)).astype(np.uint8)))
        frames = []
        for t in range(num_frames):
            frame = DetDataSample(
                metainfo=dict(
                    frame_id=t,
                    frame_name=f'{t:05d}',
                    img_shape=(h, w),
                    ori_shape=(h, w),
                    scale_factor=(1.0, 1.0),
                    flip=False))
            if with_masks:
                m = np.zeros((h, w), np.uint8)
                m[4 + b:12 + b, 4 + t:14 + t] = 1
                frame.gt_mask = PixelData(data=torch.from_numpy(m)[None])
                frame.gt_target_mask = PixelData(
                    data=torch.from_numpy(np.zeros_like(m))[None])
            frames.append(frame)
        sample = TrackDataSample()
        sample.video_data_samples = frames
        sample.set_metainfo(
            dict(
                video_id=f'video{b}',
                exp_id='0',
                expression=texts[b % len(texts)],
                caption_type='single',
                expression_kind=None,
                has_target=False,
                frame_names=[f'{t:05d}' for t in range(num_frames)],
                frame_inds=list(range(num_frames)),
                ori_shape=(h, w),
                img_shape=(h, w),
                scale_factor=(1.0, 1.0),
                flip=False,
                num_video_frames=num_frames))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def load_tool_module(folder: str, name: str):
    """Import ``tools/<folder>/<name>.py`` of this repository (tools/ is not a
    package), e.g. ``load_tool_module('analysis_tools', 'eval_masks')``."""
    import importlib
    import sys
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    path = osp.join(repo, 'tools', folder)
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path} not found: load_tool_module needs '
                                'a source checkout of rvos_plugin.')
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(name)
