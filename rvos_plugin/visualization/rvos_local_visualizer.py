"""Draw RVOS predictions (masks, expression, actor / target legend) through
mmengine's ``Visualizer``, so that frames reach every configured
``vis_backend`` (local files, TensorBoard, W&B, ...)."""
import re
import textwrap
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.visualization import Visualizer

from rvos_plugin.registry import VISUALIZERS
from rvos_plugin.structures import get_frames, has_frame_masks

# One colour per expression (RGB); the target of expression i gets
# TARGET_PALETTE[i], its actor PALETTE[i].
PALETTE = [(230, 50, 50), (50, 200, 80), (240, 200, 40), (200, 60, 220),
           (255, 140, 30), (40, 220, 220)]
TARGET_PALETTE = [(40, 120, 255), (150, 90, 255), (0, 170, 170),
                  (120, 120, 255), (30, 90, 200), (90, 160, 255)]
GT_COLOR = (255, 255, 255)

Layer = Tuple[np.ndarray, Tuple[int, int, int], str]

#: advance width of one character in units of the font size (DejaVu Sans,
#: mmengine's default font, averages ~0.6; measured 0.72 with the label box)
CHAR_WIDTH = 0.72


#: chat-template control tokens (``<|im_end|>``, ``<|endoftext|>``, ...)
CONTROL_TOKEN = re.compile(r'<\|[A-Za-z_]+\|>')


def wrap_text(text: str, width_px: int, font_size: int) -> List[str]:
    """Split ``text`` into lines that fit ``width_px`` pixels at
    ``font_size`` (whole words where possible, long words cut).

    Args:
        text (str): The line to draw.
        width_px (int): Available width in pixels.
        font_size (int): Font size in pixels.

    Returns:
        list[str]: One or more lines (``['']`` for an empty text).
    """
    max_chars = max(4, int(width_px / (CHAR_WIDTH * font_size)))
    return textwrap.wrap(text, max_chars, break_long_words=True,
                         break_on_hyphens=False) or ['']


def role_layers(masks: np.ndarray,
                target_masks: Optional[np.ndarray],
                index: int = 0,
                reviosa: bool = False) -> List[Layer]:
    """The coloured layers of one expression in one frame.

    Args:
        masks (np.ndarray): (H, W) bool, the referred object (actor).
        target_masks (np.ndarray, optional): (H, W) bool, the target.
        index (int): Expression index (chooses the colours).
        reviosa (bool): Label the layers ``actor`` / ``target``.

    Returns:
        list[tuple]: ``(mask, rgb colour, label)`` per layer.
    """
    colour = PALETTE[index % len(PALETTE)]
    if target_masks is None and not reviosa:
        return [(masks, colour, '')]
    tcolour = TARGET_PALETTE[index % len(TARGET_PALETTE)]
    layers = [(masks, colour, 'actor')]
    if target_masks is not None:
        layers.append((target_masks, tcolour, 'target'))
    return layers


@VISUALIZERS.register_module()
class RVOSLocalVisualizer(Visualizer):
    """mmengine ``Visualizer`` for referring video segmentation.

    Draws, on one frame, the predicted mask of each expression (the actor
    and the target of ReVIOsA in two colours), optionally the GT outline,
    the expression(s) as a legend and the model's generated answer.

    Args:
        name (str): Instance name.
        vis_backends (list[dict], optional): mmengine vis backends.
        save_dir (str, optional): Where backends write (the runner sets it).
        alpha (float): Mask opacity.
        min_size (int): Frames whose short side is smaller are upscaled
            before drawing so that the text stays legible (0: never).
        tensorboard (bool): The switch of ``default_runtime.py``: also write
            to a ``TensorboardVisBackend`` (needs the ``tensorboard``
            package, in requirements/runtime.txt).
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[list] = None,
                 save_dir: Optional[str] = None,
                 alpha: float = 0.5,
                 min_size: int = 256,
                 tensorboard: bool = False,
                 **kwargs) -> None:
        vis_backends = list(vis_backends or [])
        if tensorboard and not any(
                str(b.get('type', '')).endswith('TensorboardVisBackend')
                for b in vis_backends if isinstance(b, dict)):
            vis_backends.append(dict(type='TensorboardVisBackend'))
        super().__init__(name=name, image=image, vis_backends=vis_backends,
                         save_dir=save_dir, **kwargs)
        self.alpha = alpha
        self.min_size = min_size

    # ------------------------------------------------------------ drawing
    def draw_frame(self,
                   image: np.ndarray,
                   layers: Sequence[Layer],
                   legend: Sequence[Tuple[str, Tuple[int, int, int]]] = (),
                   caption: Optional[str] = None,
                   gt_masks: Sequence[np.ndarray] = ()) -> np.ndarray:
        """Draw mask layers, a legend and a caption on one RGB frame.

        Args:
            image (np.ndarray): (H, W, 3) RGB uint8.
            layers (list): ``(mask (H, W) bool, colour, label)`` to fill.
            legend (list): ``(text, colour)`` lines, top left.
            caption (str, optional): Bottom line (e.g. ReVIOsA's answer;
                chat control tokens such as ``<|im_end|>`` are not drawn).
            gt_masks (list[np.ndarray]): (H, W) masks drawn as white
                outlines.

        Returns:
            np.ndarray: The drawn (possibly upscaled) RGB frame.
        """
        h, w = image.shape[:2]
        scale = max(1.0, self.min_size / min(h, w)) if self.min_size else 1
        size = (int(round(w * scale)), int(round(h * scale)))
        if scale > 1:
            image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
        resize = (lambda m: m.astype(bool)) if scale == 1 else (
            lambda m: cv2.resize(m.astype(np.uint8), size,
                                 interpolation=cv2.INTER_NEAREST) > 0)
        # masks blended here, as draw_binary_masks does, without its extra
        # canvas render per mask (the text below renders once)
        image = image.astype(np.float32)
        for mask, colour, _ in layers:
            mask = resize(mask)
            image[mask] = (1 - self.alpha) * image[mask] + \
                self.alpha * np.asarray(colour, np.float32)
        self.set_image(image.round().astype(np.uint8))
        for gt in gt_masks:
            gt = resize(gt).astype(np.uint8)
            contours, _ = cv2.findContours(gt, cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_NONE)
            for c in contours:
                if len(c) > 2:
                    self.draw_polygons(c[:, 0], edge_colors=GT_COLOR,
                                       line_widths=1)
        font = max(8, min(size) // 24)
        # long expressions and answers wrap onto more rows, not off the frame
        rows = [(line, colour) for text, colour in legend
                for line in wrap_text(text, size[0] - 8, font)]
        for row, (text, colour) in enumerate(rows):
            self.draw_texts(
                text, np.array([4, 4 + row * (font + 8)]), font_sizes=font,
                colors='white',
                bboxes=dict(facecolor=np.array(colour) / 255, alpha=0.75,
                            pad=1, edgecolor='none'))
        caption = ' '.join(CONTROL_TOKEN.sub('', caption or '').split())
        lines = wrap_text(caption, size[0] - 8, font) if caption else []
        for row, line in enumerate(lines):
            y = size[1] - (len(lines) - row) * (font + 8)
            self.draw_texts(
                line, np.array([4, y]), font_sizes=font, colors='white',
                bboxes=dict(facecolor='black', alpha=0.6, pad=1,
                            edgecolor='none'))
        return self.get_image()

    def draw_expressions(self,
                         image: np.ndarray,
                         expressions: Sequence[str],
                         masks: Sequence[np.ndarray],
                         target_masks: Sequence[Optional[np.ndarray]] = (),
                         texts: Sequence[Optional[str]] = (),
                         reviosa: bool = False) -> np.ndarray:
        """One frame with the masks of several expressions.

        Args:
            image (np.ndarray): (H, W, 3) RGB uint8.
            expressions (list[str]): The expressions (legend).
            masks (list[np.ndarray]): (H, W) bool per expression.
            target_masks (list): (H, W) bool or None per expression
                (ReVIOsA's target).
            texts (list): Generated answer per expression (or None).
            reviosa (bool): Label actor / target in the legend.

        Returns:
            np.ndarray: The drawn RGB frame.
        """
        layers, legend = [], []
        target_masks = list(target_masks) or [None] * len(masks)
        for i, (exp, mask, tmask) in enumerate(
                zip(expressions, masks, target_masks)):
            mine = role_layers(mask, tmask, i, reviosa)
            layers.extend(mine)
            if len(mine) == 1 and not mine[0][2]:
                legend.append((exp, mine[0][1]))
            else:
                legend.append((exp, (0, 0, 0)))
                legend.extend((f'{label}', colour)
                              for _, colour, label in mine)
        answers = [t for t in texts if t]
        return self.draw_frame(image, layers, legend,
                               caption=' | '.join(answers) or None)

    # ---------------------------------------------------- mmengine interface
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0,
                       frame_index: int = 0) -> np.ndarray:
        """Draw frame ``frame_index`` of a predicted ``TrackDataSample``.

        The drawn frame is shown (``show``), written to ``out_file``, or
        otherwise sent to every vis backend with :meth:`add_image`.

        Args:
            name (str): Image name for the backends.
            image (np.ndarray): (H, W, 3) RGB frame.
            data_sample (TrackDataSample): Predicted sample (``pred_mask``,
                optional ``pred_target_mask``, ``gt_mask``).
            draw_gt (bool): Outline ``gt_mask`` when present.
            draw_pred (bool): Fill the predicted masks.
            show (bool): Show in a window.
            wait_time (float): Seconds the window stays (0: until a key).
            out_file (str, optional): Write the drawn frame there.
            step (int): Global step for the backends.
            frame_index (int): Which frame of the sample.

        Returns:
            np.ndarray: The drawn RGB frame.
        """
        meta = data_sample.metainfo
        frame = get_frames(data_sample)[frame_index]

        def mask(key):
            if not has_frame_masks(data_sample, key):
                return None
            return frame.get(key).data[0].detach().cpu().numpy() > 0

        reviosa = has_frame_masks(data_sample, 'pred_target_mask')
        layers, legend = [], [(str(meta.get('expression', '')), (0, 0, 0))]
        if draw_pred and mask('pred_mask') is not None:
            layers = role_layers(mask('pred_mask'), mask('pred_target_mask'),
                                 0, reviosa)
            legend += [(label, colour) for _, colour, label in layers
                       if label]
        gts = [m for m in (mask('gt_mask'), ) if draw_gt and m is not None]
        answers = meta.get('pred_answer')
        drawn = self.draw_frame(
            image, layers, legend, gt_masks=gts,
            caption=' | '.join(answers) if answers else None)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            import mmcv
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)
        return drawn
