"""Segment the objects that sentences refer to in one's own video.

``RVOSInferencer`` (in the style of mmdet's ``DetInferencer``, built on
mmengine's ``BaseInferencer``) works for every model of the plugin: the
supervised baseline, WSRVOS and ReVIOsA::

    from rvos_plugin.apis import RVOSInferencer
    inferencer = RVOSInferencer('baseline')        # quickstart alias
    out = inferencer('my_clip.mp4', ['the red ball', 'the small square'])
    out['predictions'][0]['masks']                 # (T, H, W) bool

The video is read window by window (``window_size`` frames at a time), so
memory stays bounded by one window; :meth:`RVOSInferencer.stream` yields the
windows one by one for videos whose masks should not be held at once.
Design notes: docs/decisions/inference_api.md; user guide:
docs/inference.md.
"""
import copy
import importlib
import sys
from typing import Dict, Iterator, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar

from rvos_plugin.structures import get_frames, has_frame_masks
from .model_names import REPO_ROOT, resolve_model
from .video_source import VideoInput, VideoSource, open_video

# Test-pipeline steps that read the dataset (frame sampling, frame and
# annotation loading): the inferencer feeds decoded frames instead.
_DATASET_STEPS = ('RVOSFrameSample', 'RVOSCentredFrameSample')

MASK_KEYS = {'masks': 'pred_mask', 'target_masks': 'pred_target_mask'}


def inference_pipeline(test_pipeline: Sequence[dict]) -> List[dict]:
    """The config's test pipeline without its dataset steps.

    Frame samplers and every ``Load*`` transform (frames, GT masks,
    annotation files) are dropped; resizing and packing stay, so the model
    sees frames prepared exactly as in testing.
    """
    kept = [copy.deepcopy(step) for step in test_pipeline
            if not (step['type'] in _DATASET_STEPS
                    or step['type'].split('.')[-1].startswith('Load'))]
    if not kept or kept[-1]['type'].split('.')[-1] != 'PackRVOSInputs':
        raise ValueError(
            'The test pipeline must end with PackRVOSInputs; got '
            f'{[s["type"] for s in test_pipeline]}.')
    return kept


def _frame_scores(sample, key: str) -> np.ndarray:
    """Per-frame scores stored by the model (NaN where it stores none)."""
    scores = []
    for frame in get_frames(sample):
        field = frame.get(key, None)
        score = None if field is None else field.metainfo.get('score')
        scores.append(np.nan if score is None else float(score))
    return np.asarray(scores, np.float32)


class RVOSInferencer(BaseInferencer):
    """Apply an RVOS model to a video and referring expressions.

    Args:
        model (str | Config | dict): Config path, config file name (searched
            under ``configs/``), quickstart alias (``baseline``, ``wsrvos``,
            ``reviosa``: its checkpoint defaults to the quickstart's), or a
            loaded config.
        weights (str, optional): Checkpoint (``.pth`` written by mmengine or
            a plain / converted state dict).
        device (str, optional): ``'cuda'``, ``'cuda:1'``, ``'cpu'`` ...;
            the available accelerator when None.
        window_size (int): Frames per forward pass (after ``frame_stride``).
            Memory is bounded by one window; models with temporal layers see
            each window as one clip.
        cfg_options (dict, optional): Overrides merged into the config
            (e.g. ``{'model.test_cfg.mask_thr': 0.4}``).
        show_progress (bool): Print a progress bar over the windows.
    """

    preprocess_kwargs = {'window_size', 'frame_stride'}
    forward_kwargs: set = set()
    visualize_kwargs: set = set()
    postprocess_kwargs: set = set()

    def __init__(self,
                 model: Union[str, Config, dict],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 window_size: int = 32,
                 cfg_options: Optional[dict] = None,
                 show_progress: bool = True,
                 scope: str = 'mmdet') -> None:
        import rvos_plugin  # noqa: F401  (compat shims, registration)
        if isinstance(model, str):
            config, weights = resolve_model(model, weights)
            cfg = Config.fromfile(config)
        else:
            cfg = copy.deepcopy(Config(model) if isinstance(model, dict)
                                else model)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        if window_size < 1:
            raise ValueError(f'window_size must be >= 1, got {window_size}.')
        self.window_size = window_size
        init_default_scope(cfg.get('default_scope', scope) or scope)
        self._import_custom_modules(cfg)
        super().__init__(cfg, weights, device, scope, show_progress)
        self.is_reviosa = hasattr(self.model, 'target_id')

    @staticmethod
    def _import_custom_modules(cfg: Config) -> None:
        """Import ``custom_imports`` (method packages under ``projects/``
        need the repository root on ``sys.path``, as the tools set it)."""
        if REPO_ROOT not in sys.path:
            sys.path.insert(0, REPO_ROOT)
        for name in cfg.get('custom_imports', {}).get('imports', []):
            importlib.import_module(name)

    def _init_pipeline(self, cfg: Config) -> Compose:
        dataset = cfg.test_dataloader.dataset
        pipeline = dataset.get('pipeline')
        if pipeline is None:
            raise ValueError('The config has no test_dataloader.dataset.'
                             'pipeline; the inferencer reuses it.')
        return Compose(inference_pipeline(pipeline))

    def _init_collate(self, cfg: Config):
        return pseudo_collate  # what the test dataloaders use

    def _init_visualizer(self, cfg: Config):
        return None  # drawing: rvos_plugin.visualization / demo scripts

    # ------------------------------------------------------------- running
    def __call__(self,
                 video: VideoInput,
                 expressions: Union[str, Sequence[str]],
                 batch_size: int = 1,
                 window_size: Optional[int] = None,
                 frame_stride: int = 1,
                 return_datasamples: bool = False) -> dict:
        """Segment every expression in every (strided) frame of ``video``.

        Args:
            video: Video file (anything decord reads), folder of frames,
                image file, list of RGB uint8 arrays (H, W, 3) or array
                (T, H, W, 3).
            expressions (str | list[str]): One or several expressions.
            batch_size (int): Expressions per forward pass.
            window_size (int, optional): Override the instance's.
            frame_stride (int): Segment every k-th frame only.
            return_datasamples (bool): Also return the raw predicted
                ``TrackDataSample`` of every (window, expression) batch.

        Returns:
            dict: ``video`` (name, frame_names, frame_inds, fps, shape) and
            ``predictions``, one dict per expression:

            - ``expression`` (str)
            - ``masks`` (np.ndarray): (T', H, W) bool at the video's size,
              T' = the segmented frames (``video['frame_inds']``); for
              ReVIOsA the actor.
            - ``scores`` (np.ndarray): (T',) mean foreground probability
              inside each mask (0 for an empty mask; NaN when the model
              gives none); ``score``: their mean over non-empty frames.
            - ReVIOsA only: ``target_masks`` / ``target_scores`` /
              ``target_score`` (the target), ``text`` (the answer generated
              for the first window) and ``window_texts`` (one per window).
        """
        source = open_video(video)
        expressions = self._expression_list(expressions)
        stores: List[Dict[str, list]] = [
            dict() for _ in expressions]
        frame_inds: List[int] = []
        raw = []
        for window in self.stream(source, expressions, batch_size,
                                  window_size, frame_stride,
                                  return_datasamples):
            frame_inds.extend(window['frame_inds'])
            raw.extend(window.get('data_samples', []))
            for store, pred in zip(stores, window['predictions']):
                for key, value in pred.items():
                    store.setdefault(key, []).append(value)
        predictions = [self._concat(store) for store in stores]
        out = dict(
            video=dict(name=source.name, frame_names=source.frame_names,
                       frame_inds=frame_inds, fps=source.fps,
                       shape=source.shape),
            predictions=predictions)
        if return_datasamples:
            out['data_samples'] = raw
        return out

    def stream(self,
               video: VideoInput,
               expressions: Union[str, Sequence[str]],
               batch_size: int = 1,
               window_size: Optional[int] = None,
               frame_stride: int = 1,
               return_datasamples: bool = False) -> Iterator[dict]:
        """Yield the predictions window by window (bounded memory).

        Yields:
            dict: ``frame_inds`` (indices into the video of this window's
            frames), ``frames`` (their RGB arrays) and ``predictions`` (one
            dict per expression, as in :meth:`__call__`, for these frames;
            ``text`` holds this window's answer).
        """
        source = open_video(video)
        expressions = self._expression_list(expressions)
        window_size = window_size or self.window_size
        if frame_stride < 1 or batch_size < 1 or window_size < 1:
            raise ValueError('frame_stride, batch_size and window_size must '
                             'be >= 1.')
        inds = list(range(0, len(source), frame_stride))
        windows = [inds[i:i + window_size]
                   for i in range(0, len(inds), window_size)]
        batches = [list(range(i, min(i + batch_size, len(expressions))))
                   for i in range(0, len(expressions), batch_size)]
        bar = ProgressBar(len(windows) * len(batches), file=sys.stderr) \
            if self.show_progress else None
        for window in windows:
            frames = source.read(window)
            predictions, raw = [], []
            for batch in batches:
                data = pseudo_collate([
                    self.pipeline(self._inputs(source, frames, window,
                                               expressions[i], i))
                    for i in batch])
                with torch.no_grad():
                    samples = self.model.test_step(data)
                predictions.extend(self._unpack(s) for s in samples)
                if return_datasamples:
                    raw.extend(samples)
                if bar is not None:
                    bar.update()
            out = dict(frame_inds=window, frames=frames,
                       predictions=predictions)
            if return_datasamples:
                out['data_samples'] = raw
            yield out
        if bar is not None:
            sys.stderr.write('\n')

    # ------------------------------------------------------------- helpers
    @staticmethod
    def _expression_list(expressions) -> List[str]:
        if isinstance(expressions, str):
            expressions = [expressions]
        expressions = list(expressions)
        bad = [e for e in expressions
               if not isinstance(e, str) or not e.strip()]
        if not expressions or bad:
            raise ValueError(
                'Give one or more non-empty referring expressions (strings); '
                f'got {expressions!r}.')
        return expressions

    @staticmethod
    def _inputs(source: VideoSource, frames: List[np.ndarray],
                window: List[int], expression: str, index: int) -> dict:
        """The results dict a dataset's loading steps would produce."""
        return dict(
            imgs=list(frames),
            frame_inds=list(range(len(window))),
            frame_names=[source.frame_names[i] for i in window],
            video_id=source.name, exp_id=str(index), expression=expression,
            ori_shape=source.shape, img_shape=source.shape,
            scale_factor=(1.0, 1.0), flip=False,
            num_video_frames=len(source), sample_idx=index)

    @staticmethod
    def _unpack(sample) -> dict:
        """Masks, scores and text of one predicted sample (numpy, CPU)."""
        meta = sample.metainfo
        pred = dict(expression=meta['expression'])
        for name, key in MASK_KEYS.items():
            if not has_frame_masks(sample, key):
                if name == 'masks':
                    raise RuntimeError(
                        'The model wrote no pred_mask; every RVOS model '
                        'must set it in predict().')
                continue
            masks = np.stack([
                f.get(key).data[0].detach().cpu().numpy().astype(bool)
                for f in get_frames(sample)])
            prefix = 'target_' if name == 'target_masks' else ''
            pred[name] = masks
            pred[prefix + 'scores'] = _frame_scores(sample, key)
        if 'pred_answer' in meta:
            pred['text'] = ' | '.join(meta['pred_answer'])
        return pred

    @staticmethod
    def _concat(store: Dict[str, list]) -> dict:
        pred = dict(expression=store['expression'][0])
        for key in ('masks', 'target_masks'):
            if key in store:
                prefix = 'target_' if key == 'target_masks' else ''
                masks = np.concatenate(store[key])
                scores = np.concatenate(store[prefix + 'scores'])
                pred[key] = masks
                pred[prefix + 'scores'] = scores
                pred[prefix + 'score'] = expression_score(masks, scores)
        if 'text' in store:
            pred['text'] = store['text'][0]
            pred['window_texts'] = list(store['text'])
        return pred

    # BaseInferencer's abstract steps: __call__ above replaces its
    # list-of-images flow (one video, many expressions, windows).
    def preprocess(self, inputs, batch_size: int = 1, **kwargs):
        raise NotImplementedError('RVOSInferencer reads videos in windows: '
                                  'call it or use stream().')

    def visualize(self, inputs, preds, **kwargs):
        return None

    def postprocess(self, preds, visualization, return_datasamples=False,
                    **kwargs):
        return preds


def expression_score(masks: np.ndarray, scores: np.ndarray) -> float:
    """Mean per-frame score over the frames with a non-empty mask (0 when
    every mask is empty; NaN when the model gives no scores)."""
    present = masks.reshape(len(masks), -1).any(1)
    if not present.any():
        return 0.0 if not np.isnan(scores).all() else float('nan')
    return float(np.nanmean(scores[present])) \
        if not np.isnan(scores[present]).all() else float('nan')
