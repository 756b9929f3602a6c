"""JHMDB-Sentences (evaluation only) read from its official layout.

Layout (``../shared/notes/FORMATS.md``)::

    <root>/Rename_Images/<action>/<video>/<00001>.png
    <root>/puppet_mask/<action>/<video>/puppet_mask.mat   # part_mask (H,W,T)
    <root>/jhmdb_annotation.txt                           # video_id,query

Peers evaluate 3 random frames per video, frozen in a JSON list
``[video_id, frame_path, mask_path, n_frames, query]`` (paths relative to
the root) generated once from a seed and reused when present.
"""
import csv
import json
import os
import os.path as osp
import random
import warnings
from typing import Dict, List, Optional

from mmengine.dataset import BaseDataset

from rvos_plugin.registry import DATASETS
from .mevis_dataset import RVOSAnnotationError, load_json
from .official_utils import (InvalidItemPolicy, OfficialLayoutMixin,
                             clean_text, require_file)

JHMDB_FRAMES_PER_VIDEO = 3  # MTTR/ReferFormer: 3 random frames per video


def jhmdb_coco_image_id(video_id: str, frame: int) -> str:
    """COCO GT image id of a JHMDB sample: ``v_{vid}_f_{frame}``."""
    return f'v_{video_id}_f_{frame}'


def read_jhmdb_queries(path: str) -> List[tuple]:
    """Rows ``(video_id, query)`` of ``jhmdb_annotation.txt`` (CSV header)."""
    require_file(path, 'JHMDB-Sentences annotations',
                 'Download jhmdb_annotation.txt (JHMDB-Sentences) into the '
                 'dataset root.')
    rows = []
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        if not {'video_id', 'query'} <= set(reader.fieldnames or []):
            raise RVOSAnnotationError(
                f'{path}: header must be video_id,query.')
        for line_no, row in enumerate(reader, 2):
            item = f'line {line_no} (video {row["video_id"]!r})'
            rows.append((row['video_id'].strip(),
                         clean_text(row['query'], path, item)))
    return rows


def find_video_actions(mask_root: str) -> Dict[str, str]:
    """Map video name → action folder by listing ``puppet_mask/<action>/``."""
    if not osp.isdir(mask_root):
        raise FileNotFoundError(
            f'JHMDB puppet mask folder not found: {mask_root!r}; extract '
            'puppet_mask from the JHMDB archive into the dataset root.')
    actions = {}
    for action in sorted(os.listdir(mask_root)):
        action_dir = osp.join(mask_root, action)
        if osp.isdir(action_dir):
            for video in os.listdir(action_dir):
                actions[video] = action
    return actions


def generate_jhmdb_samples(data_root: str, ann_file: str, seed: int,
                           frames_per_video: int = JHMDB_FRAMES_PER_VIDEO,
                           image_dir: str = 'Rename_Images',
                           mask_dir: str = 'puppet_mask',
                           policy: Optional[InvalidItemPolicy] = None
                           ) -> List[list]:
    """Draw the evaluation frames reproducibly from ``seed``.

    Returns:
        list[list]: ``[video_id, frame_path, mask_path, n_frames, query]``
        with paths relative to ``data_root`` and 1-indexed frame files.
    """
    from rvos_plugin.datasets.transforms.file_masks import read_jhmdb_mat
    from rvos_plugin.datasets.transforms.loading import RVOSDataError
    rng = random.Random(seed)
    actions = find_video_actions(osp.join(data_root, mask_dir))
    samples = []
    for video_id, query in read_jhmdb_queries(ann_file):
        action = actions.get(video_id)
        if action is None:
            msg = (f'{ann_file}: video {video_id!r} has no '
                   f'{mask_dir}/<action>/{video_id}/puppet_mask.mat; restore '
                   'it from the JHMDB archive.')
            if policy is None:
                raise FileNotFoundError(msg)
            policy.invalid(msg, FileNotFoundError)
            continue
        mask_path = osp.join(mask_dir, action, video_id, 'puppet_mask.mat')
        try:
            n_frames = read_jhmdb_mat(osp.join(data_root, mask_path)).shape[0]
        except RVOSDataError as e:
            if policy is None:
                raise
            policy.invalid(str(e), RVOSDataError, e)
            continue
        chosen = sorted(rng.sample(range(1, n_frames + 1),
                                   min(frames_per_video, n_frames)))
        for frame in chosen:
            frame_path = osp.join(image_dir, action, video_id,
                                  f'{frame:05d}.png')
            samples.append([video_id, frame_path, mask_path, n_frames, query])
    return samples


@DATASETS.register_module()
class RVOSJHMDBSentencesDataset(OfficialLayoutMixin, BaseDataset):
    """JHMDB-Sentences: one sample per (video, drawn frame).

    Args:
        data_root (str): Dataset root.
        ann_file (str): ``jhmdb_annotation.txt``.
        sample_list_file (str): JSON list of evaluation samples; generated
            from ``seed`` when absent, reused when present.
        seed (int): Seed for drawing the frames.
        frames_per_video (int): Frames drawn per video (3 in the papers).
        check_media (bool): Check the frame folders exist while loading.
        skip_invalid (bool): Skip bad items with a warning instead of
            raising.
    """

    METAINFO = dict(dataset_type='jhmdb_sentences',
                    task='referring video segmentation')

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'jhmdb_annotation.txt',
                 sample_list_file: str = (
                     'jhmdb_sentences_samples_metadata.json'),
                 seed: int = 42,
                 frames_per_video: int = JHMDB_FRAMES_PER_VIDEO,
                 image_dir: str = 'Rename_Images',
                 mask_dir: str = 'puppet_mask',
                 check_media: bool = True,
                 skip_invalid: bool = False,
                 **kwargs):
        self.sample_list_file = sample_list_file
        self.seed = seed
        self.frames_per_video = frames_per_video
        self.image_dir = image_dir
        self.mask_dir_name = mask_dir
        self.check_media = check_media
        self.policy = InvalidItemPolicy(skip_invalid, type(self).__name__)
        super().__init__(data_root=data_root, ann_file=ann_file,
                         data_prefix=dict(img_path=''), **kwargs)

    def load_sample_list(self) -> List[list]:
        """Read the frozen sample list, or generate and save it.

        In a distributed run only rank 0 generates and writes the file
        (atomically); the other ranks wait at a barrier and read it. A rank
        that still cannot see it (data root not shared, or read-only)
        generates the same list from the seed in memory.
        """
        from mmengine.dist import barrier, is_main_process
        path = osp.join(self.data_root, self.sample_list_file)
        if not osp.isfile(path):
            if is_main_process():
                self._write_sample_list(path, self._generate_samples())
            barrier()
        if osp.isfile(path):
            samples = load_json(path, 'JHMDB sample list')
            for i, entry in enumerate(samples):
                if not (isinstance(entry, list) and len(entry) == 5):
                    raise RVOSAnnotationError(
                        f'{path}: entry {i} must be [video_id, frame_path, '
                        'mask_path, n_frames, query]; delete the file to '
                        'regenerate it.')
            return samples
        return self._generate_samples()

    def _generate_samples(self) -> List[list]:
        return generate_jhmdb_samples(self.data_root, self.ann_file,
                                      self.seed, self.frames_per_video,
                                      self.image_dir, self.mask_dir_name,
                                      self.policy)

    @staticmethod
    def _write_sample_list(path: str, samples: List[list]) -> None:
        tmp = f'{path}.tmp.{os.getpid()}'
        try:
            with open(tmp, 'w') as f:
                json.dump(samples, f)
            os.replace(tmp, path)
        except OSError as e:
            warnings.warn(f'could not save the JHMDB sample list to {path!r} '
                          f'({e}); it is regenerated from the seed at every '
                          'start (same list).')

    def load_data_list(self) -> List[dict]:
        data_list = []
        for video_id, frame_path, mask_path, n_frames, query in \
                self.load_sample_list():
            frame_dir = osp.join(self.data_root, osp.dirname(frame_path))
            if self.check_media and not osp.isdir(frame_dir):
                self.policy.invalid(
                    f'Missing video {video_id!r}: frame folder {frame_dir!r} '
                    'does not exist; extract Rename_Images from the JHMDB '
                    'archive.', FileNotFoundError)
                continue
            frame = int(osp.splitext(osp.basename(frame_path))[0])
            mask_files = [None] * int(n_frames)
            mask_files[frame - 1] = osp.join(self.data_root, mask_path)
            data_list.append(dict(
                video_id=video_id,
                exp_id=f'{frame:05d}',
                query_id=video_id,
                expression=clean_text(query, self.sample_list_file,
                                      f'video {video_id!r}'),
                frame_dir=frame_dir,
                frame_names=[f'{i:05d}' for i in range(1, int(n_frames) + 1)],
                frame_ext=osp.splitext(frame_path)[1],
                video_path=None,
                caption_type=None,
                expression_kind=None,
                obj_ids=[1],
                anno_ids=[1],
                target_anno_ids=[],
                has_target=False,
                mask_rles=None,
                mask_format='jhmdb_mat',
                mask_files=mask_files,
                mask_source=mask_files[frame - 1],
                annotated_frame_ind=frame - 1,
                instance_id=1,
                coco_image_id=jhmdb_coco_image_id(video_id, frame)))
        self.policy.warn_skipped()
        return data_list
