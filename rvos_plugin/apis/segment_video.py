"""One call from a video and expressions to an output folder (masks,
mask dict, overlay video): what ``demo/video_demo.py`` and the web demo
run."""
import json
import os
import os.path as osp
from typing import Optional, Sequence

from .export import (MaskDictWriter, OverlayVideoWriter, expression_folder,
                     write_mask_pngs)
from .video_source import VideoInput, open_video


def segment_video(inferencer,
                  video: VideoInput,
                  expressions: Sequence[str],
                  out_dir: str,
                  batch_size: int = 1,
                  window_size: Optional[int] = None,
                  frame_stride: int = 1,
                  gif: bool = False,
                  overlay_min_size: int = 360,
                  write_pngs: bool = True) -> dict:
    """Segment ``expressions`` in ``video`` and write the results.

    Writes, window by window (memory bounded by one window):
    ``masks/<i>_<slug>/<frame>.png`` (``..._target`` for ReVIOsA),
    ``masks.json`` + ``meta_expressions.json`` (MeViS / InterRVOS layout),
    ``overlay.mp4`` (and ``overlay.gif`` with ``gif``) and
    ``summary.json`` (expressions, scores, ReVIOsA's answers, files).

    Args:
        inferencer (RVOSInferencer): The model.
        video: Anything :func:`open_video` accepts.
        expressions (list[str]): Referring expressions.
        out_dir (str): Output folder (created).
        batch_size, window_size, frame_stride: As
            :meth:`RVOSInferencer.__call__`.
        gif (bool): Also write ``overlay.gif``.
        overlay_min_size (int): Upscale overlay frames whose short side is
            smaller (legible text on small videos).
        write_pngs (bool): Write the per-frame mask PNGs.

    Returns:
        dict: The content of ``summary.json``.
    """
    from rvos_plugin.visualization import RVOSLocalVisualizer
    source = open_video(video)
    expressions = inferencer._expression_list(expressions)
    os.makedirs(out_dir, exist_ok=True)
    visualizer = RVOSLocalVisualizer(
        name=f'video_demo_{id(inferencer)}_{len(os.listdir(out_dir))}',
        min_size=overlay_min_size)
    mask_dict = MaskDictWriter(source.name, source.frame_names, expressions)
    overlay = OverlayVideoWriter(
        osp.join(out_dir, 'overlay.mp4'), source.fps / frame_stride,
        osp.join(out_dir, 'overlay.gif') if gif else None)
    areas = [[] for _ in expressions]
    scores = [[] for _ in expressions]
    texts = [[] for _ in expressions]
    reviosa = inferencer.is_reviosa
    try:
        for window in inferencer.stream(source, expressions, batch_size,
                                        window_size, frame_stride):
            preds = window['predictions']
            inds = window['frame_inds']
            mask_dict.add(inds, preds)
            if write_pngs:
                write_mask_pngs(out_dir, source.frame_names, inds, preds)
            for i, pred in enumerate(preds):
                areas[i].extend(int(m.sum()) for m in pred['masks'])
                scores[i].extend(float(s) for s in pred['scores'])
                if 'text' in pred:
                    texts[i].append(pred['text'])
            for t, frame in enumerate(window['frames']):
                overlay.write(visualizer.draw_expressions(
                    frame, expressions, [p['masks'][t] for p in preds],
                    [p.get('target_masks', [None] * len(inds))[t]
                     for p in preds],
                    [p.get('text') for p in preds], reviosa=reviosa))
    finally:
        overlay.close()
    mask_dict.write(out_dir)
    summary = dict(
        video=source.name, num_video_frames=len(source),
        segmented_frames=overlay.num_frames, frame_stride=frame_stride,
        fps=source.fps, overlay='overlay.mp4',
        expressions=[
            dict(expression=exp, folder=expression_folder(i, exp),
                 frames_with_mask=sum(a > 0 for a in areas[i]),
                 mask_pixels=sum(areas[i]),
                 scores=scores[i],
                 **({'answers': texts[i]} if texts[i] else {}))
            for i, exp in enumerate(expressions)])
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    return summary
