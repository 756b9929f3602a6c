"""Tiny fixtures in the exact official on-disk formats (for tests).

Each ``make_*`` writes files the way the official releases store them
(``../shared/notes/FORMATS.md``) and returns the true masks so tests can
check the readers. Frames show each object as a coloured box.
"""
import csv
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

# DAVIS-style palette: index i -> colour (0 black, 255 void white).
_PALETTE = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0, 0, 0, 128,
            128, 0, 128] + [0, 0, 0] * 249 + [255, 255, 255]


def box_mask(size: Tuple[int, int], y0: int, x0: int, h: int,
             w: int) -> np.ndarray:
    """(H, W) uint8 mask with a box at (y0, x0) of size (h, w)."""
    mask = np.zeros(size, np.uint8)
    mask[max(y0, 0):y0 + h, max(x0, 0):x0 + w] = 1
    return mask


def write_palette_png(path: str, index_map: np.ndarray) -> None:
    """Write an indexed PNG (mode 'P', DAVIS palette), value = object id."""
    from PIL import Image
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(index_map.astype(np.uint8), mode='P')
    img.putpalette(_PALETTE)
    img.save(path)


def _render(size, masks: Sequence[np.ndarray]) -> np.ndarray:
    colours = [(255, 0, 0), (0, 0, 255), (0, 255, 0), (255, 255, 0)]
    img = np.full(size + (3, ), 40, np.uint8)
    for k, m in enumerate(masks):
        img[m > 0] = colours[k % len(colours)]
    return img


def _write_frames(folder: str, frames: List[np.ndarray], names: List[str],
                  ext: str) -> None:
    import cv2
    os.makedirs(folder, exist_ok=True)
    for img, name in zip(frames, names):
        cv2.imwrite(osp.join(folder, name + ext),
                    cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


def _write_mp4(path: str, frames: List[np.ndarray]) -> None:
    import cv2
    os.makedirs(osp.dirname(path), exist_ok=True)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             (w, h))
    for img in frames:
        writer.write(cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    writer.release()


def write_a2d_h5(path: str, masks: Sequence[np.ndarray],
                 instance_ids: Sequence[int]) -> None:
    """Write an A2D annotation h5: ``reMask`` transposed, 2-D for one."""
    import h5py
    os.makedirs(osp.dirname(path), exist_ok=True)
    stored = np.stack([m.T for m in masks]).astype(np.uint8)
    boxes = []
    for m in masks:
        ys, xs = np.nonzero(m)
        boxes.append([xs.min(), ys.min(), xs.max(), ys.max()]
                     if len(xs) else [0, 0, 0, 0])
    with h5py.File(path, 'w') as f:
        f.create_dataset('reMask', data=stored[0] if len(masks) == 1
                         else stored)
        f.create_dataset('reBBox', data=np.asarray(boxes, np.float64).T)
        f.create_dataset('instance',
                         data=np.asarray(instance_ids, np.float64))
        f.create_dataset('id', data=np.asarray([11.0] * len(masks)))


# ---------------------------------------------------------------- A2D
A2D_FIXTURE_VIDEOS = {
    # vid: (subset, total frames, {frame: [(instance, box)]})
    'vidTrain01': (0, 12, {3: [(1, (2, 2, 6, 8)), (2, (12, 16, 8, 10))],
                           8: [(1, (4, 6, 6, 8))]}),
    'T6bNPuKV-wY': (0, 10, {5: [(1, (6, 10, 10, 10))]}),
    'missedVid01': (0, 8, {2: [(1, (1, 1, 4, 4))]}),
    'EadxBPmQvtg': (1, 30, {25: [(1, (3, 3, 8, 8)), (1, (3, 3, 8, 8)),
                                 (2, (14, 18, 6, 9))]}),
}
A2D_FIXTURE_QUERIES = [
    ('vidTrain01', '1', 'the man  running on the left'),
    ('vidTrain01', '2', 'the dog jumping'),
    ('T6bNPuKV-wY', '1', 'a bird flying'),
    ('T6bNPuKV-wY', '1 (copy)', 'a bird flying'),
    ('missedVid01', '1', 'should be excluded'),
    ('EadxBPmQvtg', '1', 'a child crawling'),
    ('EadxBPmQvtg', '2', 'a ball rolling'),
]


def make_a2d_fixture(root: str, size: Tuple[int, int] = (24, 32),
                     write_mp4: bool = True,
                     write_frames: bool = True) -> Dict[tuple, np.ndarray]:
    """Write a tiny A2D-Sentences release under ``root``.

    Quirks included: videoset.csv without header, a missed video, the
    ``'1 (copy)'`` row, the duplicated instance of EadxBPmQvtg frame 25, a
    2-D ``reMask`` for a one-instance frame, h5 masks stored transposed.

    Returns:
        dict: ``{(video_id, frame, instance): mask (H, W)}`` (1-indexed
        frames) for every instance of every annotated frame.
    """
    h, w = size
    truth = {}
    rel = osp.join(root, 'Release')
    text = osp.join(root, 'text_annotations')
    os.makedirs(rel, exist_ok=True)
    os.makedirs(text, exist_ok=True)
    with open(osp.join(rel, 'videoset.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        for vid, (subset, total, anns) in A2D_FIXTURE_VIDEOS.items():
            writer.writerow([vid, 11, 0, 1, h, w, total, len(anns), subset])
    with open(osp.join(text, 'a2d_annotation.txt'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['video_id', 'instance_id', 'query'])
        writer.writerows(A2D_FIXTURE_QUERIES)
    with open(osp.join(text, 'a2d_missed_videos.txt'), 'w') as f:
        f.write('missedVid01\n')
    for vid, (subset, total, anns) in A2D_FIXTURE_VIDEOS.items():
        frames = []
        for t in range(1, total + 1):
            masks = [box_mask(size, *box) for _, box in anns.get(t, [])]
            frames.append(_render(size, masks))
        for frame, insts in anns.items():
            masks = [box_mask(size, *box) for _, box in insts]
            write_a2d_h5(
                osp.join(text, 'a2d_annotation_with_instances', vid,
                         f'{frame:05d}.h5'), masks, [i for i, _ in insts])
            for (inst, _), m in zip(insts, masks):
                truth.setdefault((vid, frame, inst), m)
        if write_mp4:
            _write_mp4(osp.join(rel, 'clips320H', vid + '.mp4'), frames)
        if write_frames:
            _write_frames(osp.join(rel, 'pngs320H', vid), frames,
                          [f'{t:05d}' for t in range(1, total + 1)], '.png')
    return truth


# ---------------------------------------------------------------- JHMDB
def make_jhmdb_fixture(root: str, size: Tuple[int, int] = (24, 32),
                       num_frames: int = 6) -> Dict[str, np.ndarray]:
    """Write a tiny JHMDB-Sentences layout (Rename_Images, puppet_mask.mat).

    Returns:
        dict: ``{video_id: masks (T, H, W)}``.
    """
    import scipy.io
    videos = {'brush_hair_vid1': 'brush_hair', 'catch_vid2': 'catch'}
    queries = {'brush_hair_vid1': 'a woman brushing her hair',
               'catch_vid2': 'a boy catching a ball'}
    truth = {}
    for k, (vid, action) in enumerate(videos.items()):
        masks = np.stack([
            box_mask(size, 3 + k, 2 + 2 * t, 8, 6) for t in range(num_frames)
        ])
        truth[vid] = masks
        mat_dir = osp.join(root, 'puppet_mask', action, vid)
        os.makedirs(mat_dir, exist_ok=True)
        scipy.io.savemat(osp.join(mat_dir, 'puppet_mask.mat'),
                         {'part_mask': masks.transpose(1, 2, 0)})
        _write_frames(osp.join(root, 'Rename_Images', action, vid),
                      [_render(size, [m]) for m in masks],
                      [f'{t:05d}' for t in range(1, num_frames + 1)], '.png')
    with open(osp.join(root, 'jhmdb_annotation.txt'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['video_id', 'query'])
        for vid in videos:
            writer.writerow([vid, queries[vid]])
    return truth


# ---------------------------------------------------------------- Ref-YTVOS
def make_ref_ytvos_fixture(root: str, size: Tuple[int, int] = (24, 32),
                           num_frames: int = 4,
                           test_videos: Sequence[str] = ('vid_c', ),
                           valid_videos: Sequence[str] = ('vid_b', 'vid_c')
                           ) -> Dict[str, np.ndarray]:
    """Write a tiny Ref-YouTube-VOS layout (palette PNGs, string obj_id).

    Train: ``vid_a`` with objects 1 (moving box) and 2 (absent in the last
    frame); frames named every 5th (``00000``, ``00005``...).

    Returns:
        dict: ``{'vid_a': index maps (T, H, W)}``.
    """
    names = [f'{5 * t:05d}' for t in range(num_frames)]
    index_maps = []
    for t in range(num_frames):
        m = np.zeros(size, np.uint8)
        m[box_mask(size, 2, 2 + 2 * t, 6, 6) > 0] = 1
        if t < num_frames - 1:
            m[box_mask(size, 12, 18, 8, 8) > 0] = 2
        index_maps.append(m)
    _write_frames(osp.join(root, 'train', 'JPEGImages', 'vid_a'),
                  [_render(size, [m == 1, m == 2]) for m in index_maps],
                  names, '.jpg')
    for name, m in zip(names, index_maps):
        write_palette_png(
            osp.join(root, 'train', 'Annotations', 'vid_a', name + '.png'), m)
    objects = {
        '1': dict(category='person', frames=names),
        '2': dict(category='dog', frames=names[:-1])
    }
    _dump(osp.join(root, 'train', 'meta.json'),
          dict(videos=dict(vid_a=dict(objects=objects))))
    _dump(osp.join(root, 'meta_expressions', 'train', 'meta_expressions.json'),
          dict(videos=dict(vid_a=dict(
              expressions={'0': dict(exp='a person on the left', obj_id='1'),
                           '1': dict(exp='a  dog sitting ', obj_id='2')},
              frames=names))))
    valid = {}
    for vid in valid_videos:
        _write_frames(osp.join(root, 'valid', 'JPEGImages', vid),
                      [_render(size, [m == 1]) for m in index_maps], names,
                      '.jpg')
        valid[vid] = dict(expressions={'0': dict(exp=f'the box in {vid}'),
                                       '1': dict(exp='the red box')},
                          frames=names)
    _dump(osp.join(root, 'meta_expressions', 'valid',
                   'meta_expressions.json'), dict(videos=valid))
    _dump(osp.join(root, 'meta_expressions', 'test', 'meta_expressions.json'),
          dict(videos={v: valid[v] for v in test_videos}))
    return dict(vid_a=np.stack(index_maps))


def make_ytvos_test_list(meta_path: str, out_path: str,
                         num_test: int = 305) -> List[str]:
    """Test meta of the last ``num_test`` (sorted) videos of a valid meta.

    The real test list is not public here; any 305 names of the 507 give
    the official count of 202 valid videos.
    """
    with open(meta_path) as f:
        videos = json.load(f)['videos']
    names = sorted(videos)[-num_test:]
    _dump(out_path, dict(videos={v: videos[v] for v in names}))
    return names


# ---------------------------------------------------------------- DAVIS-17
DAVIS_FIXTURE_VIDEOS = {
    # video: (split, number of objects)
    'bear': ('train', 1),
    'classic-car': ('valid', 2),
    'dogs-scale': ('valid', 2),
}


def make_davis17_raw_fixture(root: str, size: Tuple[int, int] = (24, 32),
                             num_frames: int = 3) -> Dict[str, np.ndarray]:
    """Write DAVIS-2017 + davis_text_annotations as distributed.

    ``DAVIS/JPEGImages/480p``, ``DAVIS/Annotations_unsupervised/480p``
    (palette, 255 = void), ``DAVIS/ImageSets/2017/{train,val}.txt`` and
    ``davis_text_annotations/Davis17_annot{1,2}{,_full_video}.txt`` with
    the original misspellings (clasic-car, dog-scale) and annot2 in latin-1.

    Returns:
        dict: ``{video: index maps (T, H, W)}``.
    """
    davis = osp.join(root, 'DAVIS')
    truth = {}
    for v, (vid, (split, n_obj)) in enumerate(DAVIS_FIXTURE_VIDEOS.items()):
        maps = []
        for t in range(num_frames):
            m = np.zeros(size, np.uint8)
            for o in range(n_obj):
                m[box_mask(size, 2 + 10 * o, 2 + 3 * t + v, 6, 8) > 0] = o + 1
            m[0, :] = 255  # a void strip
            maps.append(m)
        truth[vid] = np.stack(maps)
        names = [f'{t:05d}' for t in range(num_frames)]
        _write_frames(osp.join(davis, 'JPEGImages', '480p', vid),
                      [_render(size, [m == 1, m == 2]) for m in maps], names,
                      '.jpg')
        for name, m in zip(names, maps):
            write_palette_png(
                osp.join(davis, 'Annotations_unsupervised', '480p', vid,
                         name + '.png'), m)
    sets = osp.join(davis, 'ImageSets', '2017')
    os.makedirs(sets, exist_ok=True)
    for split, name in (('train', 'train'), ('valid', 'val')):
        with open(osp.join(sets, name + '.txt'), 'w') as f:
            f.writelines(v + '\n' for v, (s, _) in
                         DAVIS_FIXTURE_VIDEOS.items() if s == split)
    text = osp.join(root, 'davis_text_annotations')
    os.makedirs(text, exist_ok=True)
    misspelt = {'classic-car': 'clasic-car', 'dogs-scale': 'dog-scale'}
    for annot, encoding in (('annot1', 'utf-8'), ('annot2', 'latin-1')):
        for suffix, kind in (('', 'first'), ('_full_video', 'full')):
            lines = []
            for vid, (_, n_obj) in DAVIS_FIXTURE_VIDEOS.items():
                for o in range(1, n_obj + 1):
                    word = 'caf\u00e9' if annot == 'annot2' else 'cafe'
                    lines.append(f'{misspelt.get(vid, vid)} {o} "object {o} '
                                 f'of {vid} {annot} {kind} {word}"\n')
            with open(osp.join(text, f'Davis17_{annot}{suffix}.txt'), 'w',
                      encoding=encoding) as f:
                f.writelines(lines)
    return truth


def _dump(path: str, obj) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


def write_mask_dict(path: str, masks: Dict[int, List[Optional[np.ndarray]]]
                    ) -> None:
    """Write a MeViS ``mask_dict.json`` (RLE str counts, null = absent)."""
    from ._utils import encode_rle
    _dump(path, {str(k): [None if m is None else encode_rle(m) for m in v]
                 for k, v in masks.items()})
