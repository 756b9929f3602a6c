"""A2D-Sentences read from its official release layout.

Layout (``../shared/notes/FORMATS.md``)::

    <root>/Release/videoset.csv        # no header: vid,label,start,end,h,w,
                                       # total_frames,annotated_frames,subset
    <root>/Release/clips320H/<vid>.mp4
    <root>/text_annotations/a2d_annotation.txt      # video_id,instance_id,query
    <root>/text_annotations/a2d_missed_videos.txt
    <root>/text_annotations/a2d_annotation_with_instances/<vid>/<f:05d>.h5
"""
import csv
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from rvos_plugin.registry import DATASETS
from .mevis_dataset import RVOSAnnotationError
from .official_utils import (InvalidItemPolicy, OfficialLayoutMixin,
                             clean_text, require_file)

A2D_SUBSETS = {'train': 0, 'test': 1}
# The only row whose instance id is not an integer (video T6bNPuKV-wY);
# MTTR/ReferFormer drop it.
A2D_DROPPED_INSTANCE_IDS = ('1 (copy)', )


def a2d_coco_image_id(video_id: str, frame: int, instance_id: int) -> str:
    """COCO GT image id of an A2D/JHMDB sample: ``v_{vid}_f_{frame}_i_{inst}``."""
    return f'v_{video_id}_f_{frame}_i_{instance_id}'


def read_videoset(path: str) -> Dict[str, dict]:
    """Parse ``videoset.csv`` (no header) into ``{vid: {...}}``.

    Returns:
        dict: per video ``label, height, width, total_frames, subset``.
    """
    require_file(path, 'A2D videoset.csv',
                 'It ships in the A2D release under Release/.')
    videos = OrderedDict()
    with open(path, newline='') as f:
        for line_no, row in enumerate(csv.reader(f), 1):
            if not row:
                continue
            if len(row) < 9:
                raise RVOSAnnotationError(
                    f'{path}:{line_no}: expected 9 columns (vid,label,start,'
                    f'end,h,w,total_frames,annotated_frames,subset), got '
                    f'{len(row)}.')
            try:
                videos[row[0]] = dict(
                    label=int(row[1]), height=int(row[4]),
                    width=int(row[5]), total_frames=int(row[6]),
                    subset=int(row[8]))
            except ValueError as e:
                raise RVOSAnnotationError(
                    f'{path}:{line_no}: non-integer field in {row} (the file '
                    'has no header line).') from e
    return videos


def read_text_annotations(path: str) -> List[Tuple[str, int, str]]:
    """Rows ``(video_id, instance_id, query)`` of ``a2d_annotation.txt``.

    The ``'1 (copy)'`` row is dropped; queries are whitespace-normalised.
    """
    require_file(path, 'A2D text annotations',
                 'Download a2d_annotation.txt (A2D-Sentences) into '
                 'text_annotations/.')
    rows = []
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        missing = {'video_id', 'instance_id', 'query'} - set(
            reader.fieldnames or [])
        if missing:
            raise RVOSAnnotationError(
                f'{path}: header must be video_id,instance_id,query; '
                f'missing {sorted(missing)}.')
        for line_no, row in enumerate(reader, 2):
            inst = row['instance_id'].strip()
            if inst in A2D_DROPPED_INSTANCE_IDS:
                continue
            item = f'line {line_no} (video {row["video_id"]!r})'
            try:
                inst_id = int(inst)
            except ValueError as e:
                raise RVOSAnnotationError(
                    f'{path}: {item}: instance_id {inst!r} is not an '
                    'integer.') from e
            rows.append((row['video_id'].strip(), inst_id,
                         clean_text(row['query'], path, item)))
    return rows


def read_missed_videos(path: str) -> set:
    """Video ids listed in ``a2d_missed_videos.txt`` (one per line)."""
    require_file(path, 'A2D missed-videos list',
                 'It ships with A2D-Sentences in text_annotations/.')
    with open(path) as f:
        return {line.strip() for line in f if line.strip()}


def read_h5_instances(path: str) -> List[int]:
    """Instance ids of one A2D annotation h5 (duplicates kept in order)."""
    import h5py
    with h5py.File(path, 'r') as f:
        return [int(i) for i in np.asarray(f['instance']).ravel()]


@DATASETS.register_module()
class RVOSA2DSentencesDataset(OfficialLayoutMixin, BaseDataset):
    """A2D-Sentences: one sample per (query, video, annotated frame, instance).

    A sample exists only where the referred instance appears in the
    annotated frame. Only that frame has a target (``gt_frame_valid``);
    clips are windows centred on it (``RVOSCentredFrameSample``).

    Args:
        data_root (str): Root holding ``Release/`` and ``text_annotations/``.
        split (str): ``'train'`` or ``'test'`` (videoset.csv subset 0/1).
        video_dir (str, optional): mp4 folder (decord); None to read frames.
        frame_dir (str): Folder of extracted frames ``<vid>/<00001>.png``.
        frame_ext (str): Extension of extracted frames.
        check_media (bool): Check that every video (mp4 or frame folder)
            exists while loading.
        skip_invalid (bool): Skip bad items with a warning instead of
            raising.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(dataset_type='a2d_sentences',
                    task='referring video segmentation')

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 videoset_file: str = 'Release/videoset.csv',
                 ann_file: str = 'text_annotations/a2d_annotation.txt',
                 missed_file: str = 'text_annotations/a2d_missed_videos.txt',
                 mask_dir: str = (
                     'text_annotations/a2d_annotation_with_instances'),
                 video_dir: Optional[str] = 'Release/clips320H',
                 frame_dir: str = 'Release/pngs320H',
                 frame_ext: str = '.png',
                 check_media: bool = True,
                 skip_invalid: bool = False,
                 **kwargs):
        if split not in A2D_SUBSETS:
            raise ValueError(f'split must be one of {list(A2D_SUBSETS)}, '
                             f'got {split!r}')
        self.split = split
        self.videoset_file = videoset_file
        self.missed_file = missed_file
        self.mask_dir = mask_dir
        self.video_dir_name = video_dir
        self.frame_dir_name = frame_dir
        self.frame_ext = frame_ext
        self.check_media = check_media
        self.policy = InvalidItemPolicy(skip_invalid, type(self).__name__)
        super().__init__(data_root=data_root, ann_file=ann_file,
                         data_prefix=dict(img_path=''), **kwargs)

    def _path(self, *parts: str) -> str:
        return osp.join(self.data_root, *parts)

    def _media_ok(self, video_id: str, video_path: Optional[str]) -> bool:
        if not self.check_media:
            return True
        frame_dir = self._path(self.frame_dir_name, video_id)
        if (video_path and osp.isfile(video_path)) or osp.isdir(frame_dir):
            return True
        self.policy.invalid(
            f'Missing video {video_id!r}: neither {video_path!r} nor '
            f'{frame_dir!r} exists. Restore Release/clips320H from the A2D '
            'archive (or set video_dir/frame_dir in the dataset config).',
            FileNotFoundError)
        return False

    def load_data_list(self) -> List[dict]:
        videos = read_videoset(self._path(self.videoset_file))
        missed = read_missed_videos(self._path(self.missed_file))
        rows = read_text_annotations(self.ann_file)
        queries: Dict[str, List[Tuple[int, str]]] = OrderedDict()
        for video_id, inst, query in rows:
            queries.setdefault(video_id, []).append((inst, query))
        subset = A2D_SUBSETS[self.split]
        data_list = []
        for video_id in sorted(queries):
            if video_id in missed:
                continue
            meta = videos.get(video_id)
            if meta is None:
                self.policy.invalid(
                    f'{self.ann_file}: video {video_id!r} is not in '
                    f'{self._path(self.videoset_file)}; use the matching A2D '
                    'release files.')
                continue
            if meta['subset'] != subset:
                continue
            data_list.extend(self._video_samples(video_id, meta,
                                                 queries[video_id]))
        self.policy.warn_skipped()
        return data_list

    def _video_samples(self, video_id: str, meta: dict,
                       video_queries: List[Tuple[int, str]]) -> List[dict]:
        video_path = (self._path(self.video_dir_name, f'{video_id}.mp4')
                      if self.video_dir_name else None)
        if not self._media_ok(video_id, video_path):
            return []
        ann_dir = self._path(self.mask_dir, video_id)
        if not osp.isdir(ann_dir):
            self.policy.invalid(
                f'Missing annotation folder {ann_dir!r} for video '
                f'{video_id!r}; restore a2d_annotation_with_instances.',
                FileNotFoundError)
            return []
        total = meta['total_frames']
        frame_names = [f'{i:05d}' for i in range(1, total + 1)]
        samples = []
        for h5_name in sorted(os.listdir(ann_dir)):
            if not h5_name.endswith('.h5'):
                continue
            h5_path = osp.join(ann_dir, h5_name)
            frame = int(osp.splitext(h5_name)[0])
            try:
                instances = read_h5_instances(h5_path)
            except Exception as e:
                self.policy.invalid(
                    f'Truncated or corrupt A2D annotation {h5_path!r} '
                    f'(video {video_id!r}, frame {frame}): {e}. Re-extract '
                    'it from the A2D-Sentences archive.', cause=e)
                continue
            if not 1 <= frame <= total:
                self.policy.invalid(
                    f'{h5_path!r}: frame {frame} outside the {total} frames '
                    f'of video {video_id!r} in videoset.csv.')
                continue
            present = set(instances)  # duplicates (EadxBPmQvtg f25) once
            for inst, query in video_queries:
                if inst not in present:
                    continue
                mask_files = [None] * total
                mask_files[frame - 1] = h5_path
                samples.append(dict(
                    video_id=video_id,
                    exp_id=f'{frame:05d}_{inst}',
                    query_id=f'{video_id}_{inst}',
                    expression=query,
                    frame_dir=self._path(self.frame_dir_name, video_id),
                    frame_names=frame_names,
                    frame_ext=self.frame_ext,
                    video_path=video_path,
                    caption_type=None,
                    expression_kind=None,
                    obj_ids=[inst],
                    anno_ids=[inst],
                    target_anno_ids=[],
                    has_target=False,
                    mask_rles=None,
                    mask_format='a2d_h5',
                    mask_files=mask_files,
                    mask_source=h5_path,
                    annotated_frame_ind=frame - 1,
                    instance_id=inst,
                    coco_image_id=a2d_coco_image_id(video_id, frame, inst)))
        return samples
