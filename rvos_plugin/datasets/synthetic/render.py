"""Rendering of a planned scene into RGB frames and visible-pixel masks.

Shapes are filled polygons with hard edges (no anti-aliasing), so a mask is
exactly the set of pixels painted with the object's texture. Objects are
painted in increasing ``obj_id`` (z-order); a mask keeps only the pixels not
covered by an object painted later.
"""
from typing import List, Tuple

import cv2
import numpy as np

from .attributes import COLOURS, TEXTURE_FACTORS
from .scene import Scene, SceneObject

# Sub-pixel precision of cv2 drawing: coordinates are multiplied by 2**SHIFT.
SHIFT = 4
# Background: grey level range, tint amplitude, blob amplitude, noise std.
BACKGROUND_GREY = (70, 140)
BACKGROUND_TINT = 12
BACKGROUND_BLOBS = 25
BACKGROUND_NOISE_STD = 8.0
# Stripe period of the object texture as a fraction of min(H, W).
STRIPE_PERIOD = 1.0 / 24


def shape_vertices(shape: str, cx: float, cy: float,
                   r: float) -> np.ndarray:
    """Polygon of a shape centred at ``(cx, cy)`` with half-extent ``r``.

    Args:
        shape (str): ``square``, ``triangle``, ``diamond`` or ``star``.
        cx (float): centre x.
        cy (float): centre y.
        r (float): half-extent in pixels.

    Returns:
        np.ndarray: (K, 2) float vertices.
    """
    if shape == 'square':
        pts = [(-r, -r), (r, -r), (r, r), (-r, r)]
    elif shape == 'triangle':
        pts = [(0, -r), (r, r), (-r, r)]
    elif shape == 'diamond':
        pts = [(0, -r), (r, 0), (0, r), (-r, 0)]
    elif shape == 'star':
        angles = -np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
        pts = list(zip(radii * np.cos(angles), radii * np.sin(angles)))
    else:
        raise ValueError(f'Unknown polygon shape {shape!r}.')
    return np.asarray(pts, dtype=np.float64) + np.array([cx, cy])


def shape_mask(shape: str, cx: float, cy: float, r: float, height: int,
               width: int) -> np.ndarray:
    """Binary mask of one shape.

    Returns:
        np.ndarray: (H, W) bool.
    """
    canvas = np.zeros((height, width), dtype=np.uint8)
    scale = 1 << SHIFT
    if shape == 'circle':
        cv2.circle(canvas, (int(round(cx * scale)), int(round(cy * scale))),
                   int(round(r * scale)), 1, thickness=-1,
                   lineType=cv2.LINE_8, shift=SHIFT)
    else:
        pts = np.round(shape_vertices(shape, cx, cy, r) * scale)
        cv2.fillPoly(canvas, [pts.astype(np.int32)], 1, lineType=cv2.LINE_8,
                     shift=SHIFT)
    return canvas.astype(bool)


def object_texture(obj: SceneObject, cx: float, cy: float, ys: np.ndarray,
                   xs: np.ndarray, min_side: int) -> np.ndarray:
    """Striped RGB colours of an object's pixels, anchored to its centre.

    Args:
        obj (SceneObject): the object (colour, stripe orientation).
        cx (float): centre x.
        cy (float): centre y.
        ys (np.ndarray): (K,) row indices of the pixels to colour.
        xs (np.ndarray): (K,) column indices.
        min_side (int): min(H, W), sets the stripe period.

    Returns:
        np.ndarray: (K, 3) float32 colours.
    """
    period = max(2.0, STRIPE_PERIOD * min_side)
    phase = np.floor(((xs - cx) + obj.stripe_sign * (ys - cy)) / period)
    factor = np.where(phase % 2 == 0, TEXTURE_FACTORS[1],
                      TEXTURE_FACTORS[0]).astype(np.float32)
    return factor[:, None] * np.asarray(COLOURS[obj.colour], np.float32)


def static_background(rng: np.random.Generator, height: int,
                      width: int) -> np.ndarray:
    """Low-saturation grey background with smooth blobs.

    Returns:
        np.ndarray: (H, W, 3) float32.
    """
    grey = rng.uniform(*BACKGROUND_GREY)
    tint = rng.uniform(-BACKGROUND_TINT, BACKGROUND_TINT, size=3)
    coarse = rng.uniform(-BACKGROUND_BLOBS, BACKGROUND_BLOBS,
                         size=(4, 4, 1)).astype(np.float32)
    blobs = cv2.resize(coarse, (width, height),
                       interpolation=cv2.INTER_CUBIC)[..., None]
    return (grey + tint + blobs).astype(np.float32)


def render_scene(scene: Scene,
                 rng: np.random.Generator) -> Tuple[List[np.ndarray],
                                                    np.ndarray]:
    """Render every frame and the visible mask of every object.

    Args:
        scene (Scene): planned scene with positions.
        rng (np.random.Generator): generator for the background noise.

    Returns:
        tuple: ``frames`` list of T (H, W, 3) uint8 RGB arrays, and
        ``masks`` (N, T, H, W) bool visible pixels, N = number of objects in
        ``obj_id`` order.
    """
    h, w = scene.height, scene.width
    background = static_background(rng, h, w)
    objects = sorted(scene.objects, key=lambda o: o.obj_id)
    masks = np.zeros((len(objects), scene.num_frames, h, w), dtype=bool)
    frames = []
    for t in range(scene.num_frames):
        noise = rng.normal(0.0, BACKGROUND_NOISE_STD, size=(h, w, 1))
        frame = background + noise.astype(np.float32)
        covered = np.zeros((h, w), dtype=bool)
        full_masks = []
        for obj in objects:
            cx, cy = obj.positions[t]
            mask = shape_mask(obj.shape, cx, cy, obj.radius, h, w)
            ys, xs = np.nonzero(mask)
            frame[ys, xs] = object_texture(obj, cx, cy, ys, xs, min(h, w))
            full_masks.append(mask)
        for i in range(len(objects) - 1, -1, -1):
            masks[i, t] = full_masks[i] & ~covered
            covered |= full_masks[i]
        frames.append(np.clip(np.round(frame), 0, 255).astype(np.uint8))
    return frames, masks
