"""Shared pieces of the stages: source reading, frame drawing, prompts."""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from string import Template
from typing import Dict, List, Optional

import numpy as np

TOOL_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))

# Stage keys of the released code (../shared/notes/FORMATS.md); also the
# names of the per-stage JSONL caches.
STAGE_KEYS = ('gpt_single_object', 'llama_single_object',
              'llama_multi_object', 'gpt_interaction', 'llama_interaction')

# Distinct outline colours (RGB) for index-labelled objects (stage 3).
PALETTE = [(255, 0, 0), (0, 200, 255), (255, 220, 0), (0, 255, 0),
           (255, 0, 255), (255, 128, 0), (128, 0, 255), (0, 128, 128)]


def load_prompt(name: str) -> Template:
    """A ``$placeholder`` prompt template from ``prompts/``."""
    with open(osp.join(TOOL_DIR, 'prompts', name), encoding='utf-8') as f:
        return Template(f.read().strip())


def load_schema(name: str) -> dict:
    with open(osp.join(TOOL_DIR, 'schemas', name), encoding='utf-8') as f:
        return json.load(f)


@dataclass
class SourceVideo:
    """One video of the source set: frames and its objects."""
    video_id: str
    frames: List[str]
    objects: Dict[int, int] = field(default_factory=dict)  # obj_id -> anno
    classes: Dict[int, str] = field(default_factory=dict)  # obj_id -> class
    vid_id: int = 0

    @property
    def labels(self) -> Dict[str, int]:
        """Index labels for stage 3: ``{"[0]": obj_id, ...}`` by obj_id."""
        return {f'[{i}]': oid for i, oid in enumerate(sorted(self.objects))}


class SourceSet:
    """A MeViS-format split with object masks (VidOR-style source).

    Objects of a video come from its expressions (``obj_id``/``anno_id``
    lists, zipped) and, when given, from the synthetic ``objects.json``.
    Object classes come from ``categories`` (``{video: {obj_id: class}}``),
    else the synthetic shape, else ``'object'``.

    Args:
        split_dir: ``<root>/<split>``.
        objects_path: optional synthetic ``objects.json``.
        categories_path: optional JSON of object classes.
        frame_ext: frame file extension.
    """

    def __init__(self, split_dir: str, objects_path: Optional[str] = None,
                 categories_path: Optional[str] = None,
                 frame_ext: str = '.jpg'):
        self.split_dir = split_dir
        self.frame_ext = frame_ext
        self.meta_path = osp.join(split_dir, 'meta_expressions.json')
        self.mask_path = osp.join(split_dir, 'mask_dict.json')
        for path, what in ((self.meta_path, 'meta_expressions.json'),
                           (self.mask_path, 'mask_dict.json')):
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'{path!r} not found: the source split needs {what} '
                    '(MeViS format, see ../shared/notes/FORMATS.md)')
        with open(self.meta_path, encoding='utf-8') as f:
            meta = json.load(f)
        with open(self.mask_path, encoding='utf-8') as f:
            self.masks = json.load(f)
        categories = {}
        if categories_path:
            with open(categories_path, encoding='utf-8') as f:
                categories = json.load(f)
        truth = {}
        if objects_path:
            from rvos_plugin.apis.llm.synthetic_oracle import \
                load_synthetic_objects
            truth = load_synthetic_objects(objects_path)
        self.videos: Dict[str, SourceVideo] = {}
        for n, vid in enumerate(sorted(meta.get('videos', {}))):
            info = meta['videos'][vid]
            video = SourceVideo(vid, [str(f) for f in info['frames']],
                                vid_id=int(info.get('vid_id', n)))
            for exp_id, exp in info.get('expressions', {}).items():
                oids, aids = exp.get('obj_id', []), exp.get('anno_id', [])
                oids = oids if isinstance(oids, list) else [oids]
                aids = aids if isinstance(aids, list) else [aids]
                if len(oids) != len(aids):
                    raise ValueError(
                        f'{self.meta_path}: video {vid!r} expression '
                        f'{exp_id!r}: obj_id and anno_id lists differ in '
                        'length; cannot pair objects with masks')
                for o, a in zip(oids, aids):
                    video.objects[int(o)] = int(a)
            if vid in truth:
                for o in truth[vid].objects.values():
                    video.objects.setdefault(o.obj_id, o.anno_id)
                    video.classes[o.obj_id] = o.shape
            for oid in video.objects:
                cls = categories.get(vid, {}).get(str(oid))
                video.classes[oid] = cls or video.classes.get(oid, 'object')
            for oid, aid in video.objects.items():
                rles = self.masks.get(str(aid))
                if rles is None or len(rles) != len(video.frames):
                    raise ValueError(
                        f'{self.mask_path}: anno id {aid} (object {oid} of '
                        f'video {vid!r}) is missing or does not have one '
                        f'entry per frame ({len(video.frames)})')
            self.videos[vid] = video

    # -- pixels
    def frame(self, video: SourceVideo, idx: int) -> np.ndarray:
        """(H, W, 3) uint8 RGB frame; raises naming a missing/corrupt file."""
        from rvos_plugin.datasets.transforms.loading import read_frame
        path = osp.join(self.split_dir, 'JPEGImages', video.video_id,
                        video.frames[idx] + self.frame_ext)
        return read_frame(path)  # names a missing/truncated/corrupt file

    def mask(self, video: SourceVideo, obj_id: int,
             idx: int) -> Optional[np.ndarray]:
        """(H, W) uint8 mask of an object in a frame, None when absent."""
        from rvos_plugin.evaluation.functional.rle import decode_rle
        anno_id = video.objects[obj_id]
        rle = self.masks[str(anno_id)][idx]
        if rle is None:
            return None
        m = decode_rle(rle, source=f'mask_dict.json of {video.video_id} '
                       f'(anno_id {anno_id}, frame {idx})').view(np.uint8)
        return m if m.any() else None

    def sample_frames(self, video: SourceVideo, obj_ids, num: int,
                      min_present: int = 1) -> List[int]:
        """Up to ``num`` uniformly spread frames where at least
        ``min_present`` of ``obj_ids`` are visible (all frames if none)."""
        present = [i for i in range(len(video.frames))
                   if sum(self.masks[str(video.objects[o])][i] is not None
                          for o in obj_ids) >= min(min_present, len(obj_ids))]
        pool = present or list(range(len(video.frames)))
        if len(pool) <= num:
            return pool
        picks = np.linspace(0, len(pool) - 1, num).round().astype(int)
        return [pool[i] for i in picks]


def resize_max_side(img: np.ndarray, max_side: int) -> np.ndarray:
    import cv2
    scale = max_side / max(img.shape[:2])
    if scale >= 1:
        return img
    return cv2.resize(img, None, fx=scale, fy=scale,
                      interpolation=cv2.INTER_AREA)


def draw_outlines(frame: np.ndarray, masks: List[Optional[np.ndarray]],
                  colours: List[tuple], labels: Optional[List[str]] = None,
                  thickness: Optional[int] = None) -> np.ndarray:
    """Draw each mask's contours (and an index label such as ``[0]``).

    Args:
        frame: (H, W, 3) uint8 RGB.
        masks: per object (H, W) uint8 mask or None (absent: not drawn).
        colours: per object RGB colour.
        labels: per object text drawn above the object's box.
        thickness: contour width (default ~ H/160, at least 1).

    Returns:
        a new (H, W, 3) uint8 RGB image.
    """
    import cv2
    out = np.ascontiguousarray(frame.copy())
    h = out.shape[0]
    thickness = thickness or max(1, h // 160)
    for i, m in enumerate(masks):
        if m is None:
            continue
        contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, colours[i], thickness)
        if labels is not None:
            ys, xs = np.nonzero(m)
            scale = max(0.3, h / 800)
            (tw, th), _ = cv2.getTextSize(labels[i], cv2.FONT_HERSHEY_SIMPLEX,
                                          scale, 1)
            x = int(np.clip(xs.min(), 0, out.shape[1] - tw - 2))
            y = int(np.clip(ys.min() - 2, th + 2, h - 2))
            cv2.rectangle(out, (x, y - th - 2), (x + tw + 2, y + 2),
                          (0, 0, 0), -1)
            cv2.putText(out, labels[i], (x + 1, y), cv2.FONT_HERSHEY_SIMPLEX,
                        scale, colours[i], 1, cv2.LINE_AA)
    return out


def run_stage(stage: str, items, work, cache, failures, desc: str,
              show_progress: bool = True, budget=None,
              workers: int = 1) -> dict:
    """Run ``work(payload) -> value`` for each ``(key, payload)`` not cached.

    Each result is written to the stage's JSONL cache as soon as it exists
    (by this thread, also when ``workers > 1`` run ``work`` concurrently); a
    failing item is logged and counted against ``budget``.

    Args:
        budget (FailureBudget, optional): Raises
            ``FailureBudgetExceeded`` once too many items failed.
        workers (int): Concurrent ``work`` calls (HTTP backends).

    Returns:
        counts ``{'items', 'done', 'skipped', 'failed'}``.

    Raises:
        BackendUnavailableError: The backend cannot be reached (no item
            could succeed); FailureBudgetExceeded.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tqdm import tqdm
    from rvos_plugin.apis.llm import (AnswerValidationError,
                                      BackendUnavailableError)
    items = list(items)
    counts = dict(items=len(items), done=0, skipped=0, failed=0)
    todo = [(k, p) for k, p in items if k not in cache]
    counts['skipped'] = len(items) - len(todo)
    item_errors = (AnswerValidationError, ValueError, KeyError,
                   FileNotFoundError, RuntimeError)

    def finish(key, run):
        try:
            value = run()
        except BackendUnavailableError:
            raise
        except item_errors as err:
            failures.log(stage, key, err,
                         answers=getattr(err, 'answers', None))
            counts['failed'] += 1
            if budget is not None:
                budget.record(stage, key, err)
            return
        cache.put(key, value)
        counts['done'] += 1

    bar = tqdm(total=len(todo), desc=desc, unit='item',
               disable=not show_progress)
    if workers <= 1 or len(todo) <= 1:
        for key, payload in todo:
            finish(key, lambda: work(payload))
            bar.update()
    else:
        pool = ThreadPoolExecutor(workers)
        try:
            futures = {pool.submit(work, p): k for k, p in todo}
            for future in as_completed(futures):
                finish(futures[future], future.result)
                bar.update()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    bar.close()
    return counts
