"""Scene planning: objects, their attributes, interactions and trajectories.

A scene is fully determined by a ``numpy.random.Generator`` and the video
index, so the same seed always yields the same scene. Rendering lives in
``render.py``; expressions in ``expressions.py``.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from .attributes import (BIDIRECTIONAL_VERBS, COLOURS, DIRECTIONS, SHAPES,
                         SIZES, UNIDIRECTIONAL_VERBS)
from .trajectories import (along_axis_span, free_trajectory, motion_label,
                           script_interaction, to_image_coords)

# Speed range of moving objects, as a fraction of min(H, W) per frame.
SPEED_RANGE = (0.018, 0.035)
# Interacting objects must move at least this fast (pixels per frame).
MIN_INTERACTION_SPEED = 0.6
# Probability that a free object stays still.
STILL_PROB = 0.2
# Probability that a second object copies the shape of the first (so that
# multi-object expressions like "the two squares" exist).
SHARED_SHAPE_PROB = 0.4
# Probability that two objects look identical (motion must disambiguate).
TWIN_PROB = 0.12
# Placement attempts before overlapping objects are accepted.
PLACEMENT_TRIES = 40
# Videos whose index is 4 mod 5 have no unidirectional interaction; videos
# whose index is 1 mod 3 have a bidirectional one (so every split of at least
# five videos contains every expression kind).
NO_UNIDIRECTIONAL_EVERY = 5
BIDIRECTIONAL_EVERY = 3


@dataclass
class SceneObject:
    """One shape of a synthetic video.

    Attributes:
        obj_id (int): id inside the video (0-based, also the z-order: higher
            ids are drawn on top).
        colour (str): key of ``COLOURS``.
        shape (str): key of ``SHAPES``.
        size (str): key of ``SIZES``.
        radius (float): half-extent in pixels.
        stripe_sign (int): +1/-1, orientation of the texture stripes.
        positions (np.ndarray): (T, 2) float centres ``(x, y)``.
        motion (str): motion label from the trajectory, e.g. ``'left'``.
    """
    obj_id: int
    colour: str
    shape: str
    size: str
    radius: float
    stripe_sign: int = 1
    positions: Optional[np.ndarray] = None
    motion: str = ''


@dataclass
class Interaction:
    """An interaction between two objects.

    Attributes:
        verb (str): key of ``UNIDIRECTIONAL_VERBS`` or ``BIDIRECTIONAL_VERBS``.
        caption_type (str): ``'unidirectional'`` or ``'bidirectional'``.
        actor (int): obj_id of the actor (first object for bidirectional).
        target (int): obj_id of the target (second object for bidirectional).
        direction (str): direction of the actor's initial motion.
        contact_frame (int | None): frame where the shapes touch, if any.
    """
    verb: str
    caption_type: str
    actor: int
    target: int
    direction: str
    contact_frame: Optional[int] = None


@dataclass
class Scene:
    """A planned synthetic video (no pixels yet)."""
    height: int
    width: int
    num_frames: int
    objects: List[SceneObject] = field(default_factory=list)
    interactions: List[Interaction] = field(default_factory=list)


def plan_interactions(video_index: int, num_objects: int,
                      max_objects: int) -> Tuple[List[str], int]:
    """Which interaction verbs a video gets, and its final object count.

    Args:
        video_index (int): index of the video in its split.
        num_objects (int): sampled object count.
        max_objects (int): upper bound on objects.

    Returns:
        tuple: (list of verbs, number of objects).
    """
    uni_verbs = list(UNIDIRECTIONAL_VERBS)
    bi_verbs = list(BIDIRECTIONAL_VERBS)
    verbs = []
    if video_index % NO_UNIDIRECTIONAL_EVERY != NO_UNIDIRECTIONAL_EVERY - 1:
        verbs.append(uni_verbs[video_index % len(uni_verbs)])
    if video_index % BIDIRECTIONAL_EVERY == 1:
        verbs.append(bi_verbs[(video_index // BIDIRECTIONAL_EVERY) %
                              len(bi_verbs)])
    while 2 * len(verbs) > max_objects:
        verbs.pop(0 if video_index % 2 else -1)
    return verbs, max(num_objects, 2 * len(verbs))


def sample_appearances(rng: np.random.Generator,
                       num_objects: int) -> List[Tuple[str, str, str]]:
    """Sample (colour, shape, size) per object, with deliberate repeats.

    Returns:
        list[tuple]: ``num_objects`` (colour, shape, size) triples.
    """
    colours, shapes, sizes = list(COLOURS), list(SHAPES), list(SIZES)
    looks = [(colours[rng.integers(len(colours))],
              shapes[rng.integers(len(shapes))],
              sizes[rng.integers(len(sizes))]) for _ in range(num_objects)]
    if num_objects >= 2 and rng.random() < SHARED_SHAPE_PROB:
        other = [c for c in colours if c != looks[0][0]]
        looks[1] = (other[rng.integers(len(other))], looks[0][1], looks[1][2])
    if num_objects >= 3 and rng.random() < TWIN_PROB:
        looks[2] = looks[int(rng.integers(2))]
    return looks


def _boxes_overlap(pos_a: np.ndarray, rad_a: float, pos_b: np.ndarray,
                   rad_b: float, pad: float = 1.0) -> bool:
    """Whether two moving bounding boxes overlap in any frame."""
    dist = np.abs(pos_a - pos_b)
    limit = rad_a + rad_b + pad
    return bool(np.any((dist[:, 0] < limit) & (dist[:, 1] < limit)))


def _collides(positions: List[np.ndarray], radii: List[float],
              placed: List[SceneObject]) -> bool:
    return any(
        _boxes_overlap(p, r, o.positions, o.radius)
        for p, r in zip(positions, radii) for o in placed)


def _place_pair(rng: np.random.Generator, verb: str, actor: SceneObject,
                target: SceneObject, scene: Scene,
                placed: List[SceneObject]) -> Optional[Interaction]:
    """Choose direction, speed and offsets of an interacting pair.

    Returns the Interaction (positions written into the objects), or None if
    the pair cannot fit in the frame at ``MIN_INTERACTION_SPEED``.
    """
    h, w, t_len = scene.height, scene.width, scene.num_frames
    ref = min(h, w)
    ra, rb = actor.radius, target.radius
    best = None
    for _ in range(PLACEMENT_TRIES):
        direction = list(DIRECTIONS)[rng.integers(len(DIRECTIONS))]
        axis_len = w if direction in ('left', 'right') else h
        across_len = h if direction in ('left', 'right') else w
        speed = ref * rng.uniform(*SPEED_RANGE)
        if verb == 'bounce_off':
            contact = (t_len - 1) // 2 + int(rng.integers(-1, 2))
        else:
            contact = int(round((t_len - 1) * rng.uniform(0.3, 0.5)))
        contact = int(np.clip(contact, 2, t_len - 3))
        gap = ref * rng.uniform(0.04, 0.1)
        # The along-axis span is affine in the speed: shrink it to fit.
        lo0, hi0 = along_axis_span(
            script_interaction(verb, t_len, ra, rb, 0.0, contact, gap), ra,
            rb)
        lo1, hi1 = along_axis_span(
            script_interaction(verb, t_len, ra, rb, 1.0, contact, gap), ra,
            rb)
        room = axis_len - 2.0
        slope = (hi1 - lo1) - (hi0 - lo0)
        if slope > 0:
            speed = min(speed, (room - (hi0 - lo0)) / slope)
        if speed < MIN_INTERACTION_SPEED:
            continue
        script = script_interaction(verb, t_len, ra, rb, speed, contact, gap)
        lo, hi = along_axis_span(script, ra, rb)
        shift_u = 1.0 - lo + rng.uniform(0.0, max(0.0, room - (hi - lo)))
        w_low = min((script['wa'] - ra).min(), (script['wb'] - rb).min())
        w_high = max((script['wa'] + ra).max(), (script['wb'] + rb).max())
        across_room = across_len - 2.0 - (w_high - w_low)
        if across_room < 0:
            continue
        shift_w = 1.0 - w_low + rng.uniform(0.0, across_room)
        pos_a = to_image_coords(script['ua'] + shift_u, script['wa'] + shift_w,
                                direction, h, w)
        pos_b = to_image_coords(script['ub'] + shift_u, script['wb'] + shift_w,
                                direction, h, w)
        has_contact = verb in ('pushes', 'hits', 'bounce_off')
        candidate = (pos_a, pos_b,
                     Interaction(
                         verb=verb,
                         caption_type=('unidirectional'
                                       if verb in UNIDIRECTIONAL_VERBS else
                                       'bidirectional'),
                         actor=actor.obj_id,
                         target=target.obj_id,
                         direction=direction,
                         contact_frame=contact if has_contact else None))
        best = candidate
        if not _collides([pos_a, pos_b], [ra, rb], placed):
            break
    if best is None:
        return None
    actor.positions, target.positions, interaction = best
    return interaction


def _place_free(rng: np.random.Generator, obj: SceneObject, scene: Scene,
                placed: List[SceneObject]) -> None:
    """Random start, direction and speed; bounces at the borders."""
    h, w, t_len = scene.height, scene.width, scene.num_frames
    r = obj.radius
    positions = None
    for _ in range(PLACEMENT_TRIES):
        direction = (None if rng.random() < STILL_PROB else
                     list(DIRECTIONS)[rng.integers(len(DIRECTIONS))])
        speed = min(h, w) * rng.uniform(*SPEED_RANGE)
        start = (rng.uniform(r + 1, w - r - 1), rng.uniform(r + 1, h - r - 1))
        positions = free_trajectory(start, direction, speed, t_len, r + 1, h,
                                    w)
        if not _collides([positions], [r], placed):
            break
    obj.positions = positions


def sample_scene(rng: np.random.Generator, video_index: int, height: int,
                 width: int, num_frames: int, min_objects: int = 2,
                 max_objects: int = 4) -> Scene:
    """Plan one synthetic video.

    Args:
        rng (np.random.Generator): the video's own generator.
        video_index (int): index in the split (sets the interaction plan).
        height (int): H in pixels.
        width (int): W in pixels.
        num_frames (int): T (>= 6, so that contacts have a before and after).
        min_objects (int): fewest objects.
        max_objects (int): most objects.

    Returns:
        Scene: objects with positions and motion labels, interactions.

    Raises:
        ValueError: when an interaction cannot fit even with small shapes.
    """
    scene = Scene(height=height, width=width, num_frames=num_frames)
    num_objects = int(rng.integers(min_objects, max_objects + 1))
    verbs, num_objects = plan_interactions(video_index, num_objects,
                                           max_objects)
    ref = min(height, width)
    for obj_id, (colour, shape, size) in enumerate(
            sample_appearances(rng, num_objects)):
        scene.objects.append(
            SceneObject(
                obj_id=obj_id,
                colour=colour,
                shape=shape,
                size=size,
                radius=SIZES[size] * ref,
                stripe_sign=1 if rng.random() < 0.5 else -1))
    order = [int(i) for i in rng.permutation(num_objects)]
    placed: List[SceneObject] = []
    for k, verb in enumerate(verbs):
        actor = scene.objects[order[2 * k]]
        target = scene.objects[order[2 * k + 1]]
        interaction = _place_pair(rng, verb, actor, target, scene, placed)
        if interaction is None:
            # Too big for the frame: shrink both shapes to 'small' and retry.
            for obj in (actor, target):
                obj.size, obj.radius = 'small', SIZES['small'] * ref
            interaction = _place_pair(rng, verb, actor, target, scene, placed)
        if interaction is None:
            raise ValueError(
                f'Cannot fit a "{verb}" interaction in a {height}x{width} '
                f'video of {num_frames} frames. Use a larger --size or '
                'fewer frames (--max-frames).')
        scene.interactions.append(interaction)
        placed += [actor, target]
    for idx in order[2 * len(verbs):]:
        _place_free(rng, scene.objects[idx], scene, placed)
        placed.append(scene.objects[idx])
    for obj in scene.objects:
        obj.motion = motion_label(obj.positions)
    return scene
