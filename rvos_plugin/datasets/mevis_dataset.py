"""MeViS-format RVOS dataset (serves MeViS, InterRVOS-8K and the synthetic set).

On-disk layout (``../shared/notes/FORMATS.md``)::

    <data_root>/<split>/JPEGImages/<video>/<frame>.jpg
    <data_root>/<split>/videos/<video>.mp4          # optional (decord)
    <data_root>/<split>/meta_expressions.json
    <data_root>/<split>/mask_dict.json              # absent for test splits
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional

from mmengine.dataset import BaseDataset

from rvos_plugin.registry import DATASETS
from .expression_text import frame_name_list, normalize_expression

INTERRVOS_CAPTION_TYPES = ('single', 'multi', 'bidirectional',
                           'unidirectional')


class RVOSAnnotationError(ValueError):
    """A malformed annotation file; the message names the file and item."""


def load_json(path: str, what: str):
    """Load a JSON file, raising errors that name the file and the fix."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} not found: {path!r}. Check `data_root`/`ann_file` in the '
            'dataset config (see docs/datasets.md for the expected layout).')
    try:
        with open(path, 'r', encoding='utf-8') as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise RVOSAnnotationError(
            f'{what} {path!r} is not valid JSON ({e}). Re-download or '
            're-generate the file.') from e


def _as_int_list(value, path: str, item: str, key: str) -> List[int]:
    if value is None:
        return []
    if isinstance(value, (int, str)):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise RVOSAnnotationError(
            f'{path}: {item}: {key!r} must be a list of ids, got '
            f'{type(value).__name__}.')
    try:
        return [int(v) for v in value]
    except (TypeError, ValueError) as e:
        raise RVOSAnnotationError(
            f'{path}: {item}: {key!r} has a non-integer id: {value!r}.'
        ) from e


@DATASETS.register_module()
class RVOSMeViSDataset(BaseDataset):
    """One sample per (video, expression) of a MeViS/InterRVOS-format split.

    Args:
        data_root (str): Dataset root, e.g. ``data/mevis``.
        split (str): Split folder under ``data_root`` (``train``,
            ``valid_u``, ``valid``, InterRVOS ``val``...).
        ann_file (str): Expressions file inside the split folder.
        mask_file (str, optional): Mask dict inside the split folder; None
            for splits without masks (then ``mask_rles`` is None).
        frame_dir (str): Frame folder inside the split folder.
        video_dir (str, optional): Folder of ``<video>.mp4`` files; when set,
            ``video_path`` is filled and ``LoadRVOSFrames`` may use decord.
        frame_ext (str): Frame file extension.
        check_masks (bool): Verify that every referenced anno id exists in
            the mask file with one entry per frame (cheap, recommended).
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``pipeline``, ``test_mode``, ``indices``...).
    """

    METAINFO = dict(dataset_type='rvos', task='referring video segmentation')

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 ann_file: str = 'meta_expressions.json',
                 mask_file: Optional[str] = 'mask_dict.json',
                 frame_dir: str = 'JPEGImages',
                 video_dir: Optional[str] = None,
                 frame_ext: str = '.jpg',
                 check_masks: bool = True,
                 **kwargs):
        self.split = split
        self.mask_file = mask_file
        self.frame_dir_name = frame_dir
        self.video_dir_name = video_dir
        self.frame_ext = frame_ext
        self.check_masks = check_masks
        super().__init__(
            data_root=data_root,
            ann_file=osp.join(split, ann_file),
            data_prefix=dict(img_path=''),
            **kwargs)

    # ------------------------------------------------------------------
    def _split_path(self, *parts: str) -> str:
        return osp.join(self.data_root, self.split, *parts)

    def load_masks(self) -> Optional[Dict[int, list]]:
        """Load the mask dict (``{anno_id: [RLE or None per frame]}``)."""
        if self.mask_file is None:
            return None
        path = self._split_path(self.mask_file)
        raw = load_json(path, 'Mask dict')
        if not isinstance(raw, dict):
            raise RVOSAnnotationError(
                f'{path}: expected a JSON object {{anno_id: [RLE or null per '
                f'frame]}}, got {type(raw).__name__}.')
        masks = {}
        for key, rles in raw.items():
            try:
                anno_id = int(key)
            except ValueError as e:
                raise RVOSAnnotationError(
                    f'{path}: key {key!r} is not an integer anno id.') from e
            if not isinstance(rles, list):
                raise RVOSAnnotationError(
                    f'{path}: anno id {key}: expected a list with one RLE '
                    f'(or null) per frame, got {type(rles).__name__}.')
            masks[anno_id] = rles
        return masks

    def load_data_list(self) -> List[dict]:
        """Parse ``meta_expressions.json`` (+ mask dict) into data infos."""
        meta_path = self.ann_file
        meta = load_json(meta_path, 'Expression file')
        videos = meta.get('videos') if isinstance(meta, dict) else None
        if not isinstance(videos, dict):
            raise RVOSAnnotationError(
                f'{meta_path}: expected {{"videos": {{<video>: ...}}}} at the '
                'top level (MeViS/InterRVOS meta_expressions format).')
        masks = self.load_masks()
        mask_path = (
            self._split_path(self.mask_file) if self.mask_file else None)
        data_list = []
        for video_id in sorted(videos):
            video = videos[video_id]
            item = f'video {video_id!r}'
            if not isinstance(video, dict) or 'expressions' not in video \
                    or 'frames' not in video:
                raise RVOSAnnotationError(
                    f'{meta_path}: {item} needs "expressions" and "frames".')
            frames = frame_name_list(video['frames'], meta_path, item,
                                     RVOSAnnotationError)
            exps = video['expressions']
            if not isinstance(exps, dict):
                raise RVOSAnnotationError(
                    f'{meta_path}: {item}: "expressions" must be an object '
                    '{exp_id: {...}}.')
            for exp_id in sorted(exps, key=_natural_key):
                data_list.append(
                    self.parse_expression(meta_path, mask_path, masks,
                                          video_id, frames, str(exp_id),
                                          exps[exp_id]))
        if not data_list:
            raise RVOSAnnotationError(
                f'{meta_path}: the split has no expression ({len(videos)} '
                'videos, none with an expression). An empty split cannot be '
                'trained or evaluated: re-generate the file or point '
                'ann_file at a split with expressions.')
        return data_list

    def parse_expression(self, meta_path: str, mask_path: Optional[str],
                         masks: Optional[dict], video_id: str,
                         frames: List[str], exp_id: str, exp: dict) -> dict:
        """Build the data info of one expression (docs/data_contract.md §1)."""
        item = f'video {video_id!r} expression {exp_id!r}'
        if not isinstance(exp, dict) or 'exp' not in exp:
            raise RVOSAnnotationError(
                f'{meta_path}: {item} has no "exp" text.')
        text = exp['exp']
        if not isinstance(text, str) or not normalize_expression(text):
            raise RVOSAnnotationError(
                f'{meta_path}: {item} has an empty expression {text!r} '
                '(nothing visible after removing whitespace and zero-width '
                'characters); fix or remove it from the file.')
        text = normalize_expression(text)
        anno_ids = _as_int_list(exp.get('anno_id'), meta_path, item,
                                'anno_id')
        obj_ids = _as_int_list(exp.get('obj_id'), meta_path, item, 'obj_id')
        caption_type = exp.get('caption_type')
        if caption_type is not None and \
                caption_type not in INTERRVOS_CAPTION_TYPES:
            raise RVOSAnnotationError(
                f'{meta_path}: {item}: unknown caption_type '
                f'{caption_type!r}; expected one of '
                f'{INTERRVOS_CAPTION_TYPES}.')
        target_anno_ids: List[int] = []
        roles = exp.get('subject/object')
        if roles is not None:
            try:
                target_anno_ids = _as_int_list(
                    roles['anno_id'].get('object'), meta_path, item,
                    'subject/object.anno_id.object')
            except (KeyError, TypeError, AttributeError) as e:
                raise RVOSAnnotationError(
                    f'{meta_path}: {item}: "subject/object" must be '
                    '{"obj_id": {"subject": [..], "object": [..]}, '
                    '"anno_id": {"subject": [..], "object": [..]}}.') from e
        mask_rles = None
        if masks is not None:
            if not anno_ids:
                raise RVOSAnnotationError(
                    f'{meta_path}: {item} has no anno_id; a split with masks '
                    'needs the annotation ids of the referred objects.')
            mask_rles = {}
            for anno_id in anno_ids + target_anno_ids:
                rles = masks.get(anno_id)
                if rles is None:
                    raise RVOSAnnotationError(
                        f'{mask_path}: anno id {anno_id} (used by {item} in '
                        f'{meta_path}) is missing from the mask dict.')
                if self.check_masks and len(rles) != len(frames):
                    raise RVOSAnnotationError(
                        f'{mask_path}: anno id {anno_id} has {len(rles)} '
                        f'masks but video {video_id!r} has {len(frames)} '
                        'frames; they must correspond one to one.')
                mask_rles[anno_id] = rles
        video_path = None
        if self.video_dir_name is not None:
            video_path = self._split_path(self.video_dir_name,
                                          f'{video_id}.mp4')
        return dict(
            video_id=video_id,
            exp_id=exp_id,
            expression=text,
            frame_dir=self._split_path(self.frame_dir_name, video_id),
            frame_names=frames,
            frame_ext=self.frame_ext,
            video_path=video_path,
            caption_type=caption_type,
            expression_kind=exp.get('expression_kind'),
            obj_ids=obj_ids,
            anno_ids=anno_ids,
            target_anno_ids=target_anno_ids,
            has_target=(caption_type == 'unidirectional'
                        and len(target_anno_ids) > 0),
            mask_rles=mask_rles,
            mask_source=mask_path)

    def prepare_data(self, idx: int):
        data_info = self.get_data_info(idx)
        data_info['sample_idx'] = idx
        return self.pipeline(data_info)


def _natural_key(value) -> tuple:
    text = str(value)
    return (0, int(text), '') if text.isdigit() else (1, 0, text)


def list_split_videos(data_root: str, split: str) -> List[str]:
    """Video folders present under ``<data_root>/<split>/JPEGImages``."""
    path = osp.join(data_root, split, 'JPEGImages')
    return sorted(os.listdir(path)) if osp.isdir(path) else []
