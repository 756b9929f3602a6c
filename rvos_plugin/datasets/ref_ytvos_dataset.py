"""Ref-YouTube-VOS read from its official layout.

Layout (``../shared/notes/FORMATS.md``)::

    <root>/{train,valid}/JPEGImages/<vid>/<00000>.jpg   # every 5th frame
    <root>/train/Annotations/<vid>/<00000>.png          # palette, value=obj_id
    <root>/train/meta.json
    <root>/meta_expressions/{train,valid,test}/meta_expressions.json

``obj_id`` is a string, one object per expression; valid/test metas have no
``obj_id`` and no masks. The 202 official valid videos are the valid list
minus the test list (``test_ann_file``).
"""
import os.path as osp
from typing import Dict, List, Optional

from mmengine.dataset import BaseDataset

from rvos_plugin.registry import DATASETS
from .mevis_dataset import RVOSAnnotationError, _natural_key, load_json
from .expression_text import frame_name_list
from .official_utils import (InvalidItemPolicy, OfficialLayoutMixin,
                             clean_text)


def read_meta_videos(path: str, what: str = 'Expression file') -> dict:
    """``videos`` of a Ref-YTVOS ``meta_expressions.json`` / ``meta.json``."""
    meta = load_json(path, what)
    videos = meta.get('videos') if isinstance(meta, dict) else None
    if not isinstance(videos, dict):
        raise RVOSAnnotationError(
            f'{path}: expected {{"videos": {{<video>: ...}}}} at the top '
            'level (Ref-YouTube-VOS format).')
    return videos


def videos_minus_test(videos: dict, test_videos: dict) -> dict:
    """The valid videos that are not in the test list (202 officially)."""
    return {v: info for v, info in videos.items() if v not in test_videos}


@DATASETS.register_module()
class RVOSRefYouTubeVOSDataset(OfficialLayoutMixin, BaseDataset):
    """One sample per (video, expression) of a Ref-YTVOS-layout split.

    Args:
        data_root (str): Dataset root.
        split (str): ``'train'``, ``'valid'`` or ``'test'``.
        ann_file (str, optional): Expressions file; default
            ``meta_expressions/<split>/meta_expressions.json``.
        test_ann_file (str, optional): Test meta; when given with
            ``split='valid'`` its videos are removed (official 202 videos).
        image_split (str, optional): Folder holding the frames; default
            ``'valid'`` for the test split, else ``split``.
        with_masks (bool, optional): Fill ``mask_files`` (palette PNGs under
            ``<image_split>/Annotations``); default: only for train.
        meta_file (str): Object list per video (``<image_split>/meta.json``)
            used to reject masks with undeclared ids; skipped when absent.
        check_media (bool): Check every frame folder exists while loading.
        skip_invalid (bool): Skip bad items with a warning instead of
            raising.
    """

    METAINFO = dict(dataset_type='ref_youtube_vos',
                    task='referring video segmentation')

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 ann_file: Optional[str] = None,
                 test_ann_file: Optional[str] = None,
                 image_split: Optional[str] = None,
                 with_masks: Optional[bool] = None,
                 frame_dir: str = 'JPEGImages',
                 mask_dir: str = 'Annotations',
                 meta_file: str = 'meta.json',
                 frame_ext: str = '.jpg',
                 check_media: bool = True,
                 skip_invalid: bool = False,
                 **kwargs):
        self.split = split
        self.test_ann_file = test_ann_file
        self.image_split = image_split or (
            'valid' if split == 'test' else split)
        self.with_masks = (split == 'train') if with_masks is None \
            else with_masks
        self.frame_dir_name = frame_dir
        self.mask_dir_name = mask_dir
        self.meta_file = meta_file
        self.frame_ext = frame_ext
        self.check_media = check_media
        self.policy = InvalidItemPolicy(skip_invalid, type(self).__name__)
        ann_file = ann_file or osp.join('meta_expressions', split,
                                        'meta_expressions.json')
        super().__init__(data_root=data_root, ann_file=ann_file,
                         data_prefix=dict(img_path=''), **kwargs)

    def _path(self, *parts: str) -> str:
        return osp.join(self.data_root, self.image_split, *parts)

    def load_videos(self) -> dict:
        """Video entries of this split (valid minus test when asked)."""
        videos = read_meta_videos(self.ann_file)
        if self.test_ann_file is not None and self.split == 'valid':
            test_path = osp.join(self.data_root, self.test_ann_file)
            videos = videos_minus_test(
                videos, read_meta_videos(test_path, 'Test expression file'))
        return videos

    def load_known_ids(self) -> Optional[Dict[str, List[int]]]:
        """Declared object ids per video from ``meta.json`` (or None)."""
        path = self._path(self.meta_file)
        if not (self.with_masks and osp.isfile(path)):
            return None
        return {
            vid: [int(k) for k in info.get('objects', {})]
            for vid, info in read_meta_videos(path, 'meta.json').items()
        }

    def load_data_list(self) -> List[dict]:
        videos = self.load_videos()
        known = self.load_known_ids()
        data_list = []
        for video_id in sorted(videos):
            video = videos[video_id]
            item = f'video {video_id!r}'
            if not isinstance(video, dict) or 'expressions' not in video \
                    or not video.get('frames'):
                self.policy.invalid(
                    f'{self.ann_file}: {item} needs "expressions" and a '
                    'non-empty "frames" list.')
                continue
            try:
                frame_name_list(video['frames'], self.ann_file, item,
                                RVOSAnnotationError)
            except RVOSAnnotationError as e:
                self.policy.invalid(str(e))
                continue
            frame_dir = self._path(self.frame_dir_name, video_id)
            if self.check_media and not osp.isdir(frame_dir):
                self.policy.invalid(
                    f'Missing video {video_id!r}: frame folder {frame_dir!r} '
                    f'does not exist; extract {self.image_split}.zip of the '
                    'dataset into the root.', FileNotFoundError)
                continue
            frames = [str(f) for f in video['frames']]
            for exp_id in sorted(video['expressions'], key=_natural_key):
                info = self.parse_expression(
                    video_id, frames, frame_dir, str(exp_id),
                    video['expressions'][exp_id],
                    None if known is None else known.get(video_id, []))
                if info is not None:
                    data_list.append(info)
        self.policy.warn_skipped()
        if not data_list:
            raise RVOSAnnotationError(
                f'{self.ann_file}: no expression to use ({len(videos)} '
                f'videos, {len(self.policy.skipped)} invalid items skipped). '
                'An empty split cannot be trained or evaluated: check the '
                'file and data_root.')
        return data_list

    def parse_expression(self, video_id: str, frames: List[str],
                         frame_dir: str, exp_id: str, exp: dict,
                         known_ids: Optional[List[int]]) -> Optional[dict]:
        """Data info of one expression (docs/data_contract.md §1)."""
        item = f'video {video_id!r} expression {exp_id!r}'
        try:
            text = clean_text(exp.get('exp') if isinstance(exp, dict)
                              else None, self.ann_file, item)
        except RVOSAnnotationError as e:
            self.policy.invalid(str(e))
            return None
        obj_ids: List[int] = []
        if exp.get('obj_id') is not None:
            try:
                obj_ids = [int(exp['obj_id'])]
            except (TypeError, ValueError):
                self.policy.invalid(
                    f'{self.ann_file}: {item}: obj_id {exp["obj_id"]!r} is '
                    'not an object id string like "1".')
                return None
        mask_files = None
        if self.with_masks:
            if not obj_ids:
                self.policy.invalid(
                    f'{self.ann_file}: {item} has no obj_id; a split with '
                    'masks needs it.')
                return None
            mask_files = [
                self._path(self.mask_dir_name, video_id, f + '.png')
                for f in frames
            ]
        return dict(
            video_id=video_id,
            exp_id=exp_id,
            query_id=f'{video_id}_{exp_id}',
            expression=text,
            frame_dir=frame_dir,
            frame_names=frames,
            frame_ext=self.frame_ext,
            video_path=None,
            caption_type=None,
            expression_kind=None,
            obj_ids=obj_ids,
            anno_ids=list(obj_ids),
            target_anno_ids=[],
            has_target=False,
            mask_rles=None,
            mask_format='palette_png' if mask_files else None,
            mask_files=mask_files,
            known_obj_ids=known_ids,
            mask_source=(self._path(self.mask_dir_name, video_id)
                         if mask_files else None))
