"""Object trajectories of the synthetic RVOS set and their motion labels.

Positions are float centres ``(T, 2)`` in pixels, ``(x, y)`` with x to the
right and y down. Free objects move at constant velocity and bounce at the
frame borders; interacting pairs follow scripted kinematics whose roles are
visible in the pixels (who moves first, who moves after contact, who is
behind whom).
"""
from typing import Dict, List, Optional, Tuple

import numpy as np

from .attributes import DIRECTIONS

# A step shorter than this (pixels) counts as "not moving".
STILL_STEP = 0.25
# Motion segments shorter than this many steps are merged into neighbours.
MIN_SEGMENT_STEPS = 2
SEGMENT_SEP = '_then_'


def fold_into_range(values: np.ndarray, low: float,
                    high: float) -> np.ndarray:
    """Reflect unbounded 1-D positions into ``[low, high]`` (border bounce).

    Args:
        values (np.ndarray): positions of shape (T,) moving without walls.
        low (float): smallest allowed position.
        high (float): largest allowed position (``> low``).

    Returns:
        np.ndarray: (T,) positions bouncing elastically between the walls.
    """
    length = high - low
    if length <= 0:
        return np.full_like(values, (low + high) / 2.0)
    phase = np.mod(values - low, 2.0 * length)
    return low + np.where(phase > length, 2.0 * length - phase, phase)


def free_trajectory(start: Tuple[float, float], direction: Optional[str],
                    speed: float, num_frames: int, radius: float,
                    height: int, width: int) -> np.ndarray:
    """Constant-velocity motion that bounces at the frame borders.

    Args:
        start (tuple): initial centre ``(x, y)``.
        direction (str | None): key of ``DIRECTIONS`` or None for still.
        speed (float): pixels per frame.
        num_frames (int): T.
        radius (float): half-extent of the shape (kept inside the frame).
        height (int): H of the frame.
        width (int): W of the frame.

    Returns:
        np.ndarray: (T, 2) centres.
    """
    t = np.arange(num_frames, dtype=np.float64)
    dx, dy = DIRECTIONS[direction] if direction else (0.0, 0.0)
    xs = fold_into_range(start[0] + dx * speed * t, radius, width - radius)
    ys = fold_into_range(start[1] + dy * speed * t, radius, height - radius)
    return np.stack([xs, ys], axis=1)


def _bounce_profile(t: np.ndarray, contact: int) -> np.ndarray:
    """Distance travelled forward until ``contact``, then backwards."""
    return np.where(t <= contact, t, 2 * contact - t).astype(np.float64)


def script_interaction(verb: str, num_frames: int, radius_a: float,
                       radius_b: float, speed: float, contact: int,
                       gap: float) -> Dict[str, np.ndarray]:
    """1-D kinematics of an interacting pair along the motion axis.

    Coordinates: ``u`` along the motion direction, ``w`` across it; the
    actor (``a``) starts behind the target (``b``) for unidirectional verbs.

    - ``pushes``: the target stays still until the actor touches it at frame
      ``contact``; then both move on together, in contact.
    - ``hits``: the actor stops at contact; the target moves away at the
      actor's speed.
    - ``chases``: the target flees at half the actor's speed; the gap shrinks
      to ``gap`` at the last frame without contact.
    - ``follows``: both move at the same speed, the actor ``gap`` pixels
      behind the target.
    - ``moves_together``: side by side (offset across the motion), same
      velocity.
    - ``bounce_off``: head-on approach, contact at ``contact``, then both
      reverse.

    Args:
        verb (str): interaction verb (see above).
        num_frames (int): T.
        radius_a (float): half-extent of the actor (first object).
        radius_b (float): half-extent of the target (second object).
        speed (float): actor speed in pixels per frame.
        contact (int): contact frame for pushes/hits/bounce_off.
        gap (float): pixels between the shapes' borders for chases/follows
            (end gap) and moves_together (side gap).

    Returns:
        dict: ``ua, ub`` (T,) along-axis centres, ``wa, wb`` (T,) across-axis
        centres, relative to an arbitrary origin.
    """
    t = np.arange(num_frames, dtype=np.float64)
    zeros = np.zeros(num_frames)
    touch = radius_a + radius_b
    if verb == 'pushes':
        ua = speed * t
        ub = touch + speed * contact + speed * np.maximum(0.0, t - contact)
    elif verb == 'hits':
        ua = speed * np.minimum(t, contact)
        ub = touch + speed * contact + speed * np.maximum(0.0, t - contact)
    elif verb == 'chases':
        target_speed = 0.5 * speed
        start_gap = gap + (speed - target_speed) * (num_frames - 1)
        ua = speed * t
        ub = touch + start_gap + target_speed * t
    elif verb == 'follows':
        ua = speed * t
        ub = touch + gap + speed * t
    elif verb == 'moves_together':
        ua = speed * t
        ub = speed * t
        return dict(ua=ua, ub=ub, wa=zeros, wb=zeros + touch + gap)
    elif verb == 'bounce_off':
        travel = speed * _bounce_profile(t, contact)
        ua = travel
        ub = touch + 2.0 * speed * contact - travel
    else:
        raise ValueError(f'Unknown interaction verb {verb!r}; expected one of '
                         'pushes, hits, chases, follows, moves_together, '
                         'bounce_off.')
    return dict(ua=ua, ub=ub, wa=zeros, wb=zeros)


def along_axis_span(script: Dict[str, np.ndarray], radius_a: float,
                    radius_b: float) -> Tuple[float, float]:
    """Smallest and largest extent of the pair along the motion axis."""
    low = min((script['ua'] - radius_a).min(), (script['ub'] - radius_b).min())
    high = max((script['ua'] + radius_a).max(),
               (script['ub'] + radius_b).max())
    return float(low), float(high)


def to_image_coords(u: np.ndarray, w: np.ndarray, direction: str,
                    height: int, width: int) -> np.ndarray:
    """Map along/across-axis coordinates to image ``(x, y)`` centres.

    ``u`` grows in ``direction``; for ``left``/``up`` the axis is mirrored.

    Returns:
        np.ndarray: (T, 2) centres.
    """
    if direction == 'right':
        return np.stack([u, w], axis=1)
    if direction == 'left':
        return np.stack([width - u, w], axis=1)
    if direction == 'down':
        return np.stack([w, u], axis=1)
    if direction == 'up':
        return np.stack([w, height - u], axis=1)
    raise ValueError(f'Unknown direction {direction!r}.')


def step_directions(positions: np.ndarray) -> List[str]:
    """Direction word of every frame-to-frame step.

    Args:
        positions (np.ndarray): (T, 2) centres.

    Returns:
        list[str]: T-1 words among ``still/left/right/up/down``.
    """
    words = []
    for dx, dy in np.diff(positions, axis=0):
        if max(abs(dx), abs(dy)) < STILL_STEP:
            words.append('still')
        elif abs(dx) >= abs(dy):
            words.append('right' if dx > 0 else 'left')
        else:
            words.append('down' if dy > 0 else 'up')
    return words


def motion_segments(positions: np.ndarray) -> List[str]:
    """Run-length motion segments, e.g. ``['still', 'right']``.

    Runs shorter than ``MIN_SEGMENT_STEPS`` steps (a border bounce step, a
    contact step) are dropped when other runs exist, then equal neighbours
    are merged.

    Args:
        positions (np.ndarray): (T, 2) centres, T >= 2.

    Returns:
        list[str]: non-empty list of segment words.
    """
    runs: List[List] = []
    for word in step_directions(positions):
        if runs and runs[-1][0] == word:
            runs[-1][1] += 1
        else:
            runs.append([word, 1])
    if len(runs) > 1:
        long_runs = [r for r in runs if r[1] >= MIN_SEGMENT_STEPS]
        runs = long_runs or [max(runs, key=lambda r: r[1])]
    merged: List[str] = []
    for word, _ in runs:
        if not merged or merged[-1] != word:
            merged.append(word)
    return merged


def motion_label(positions: np.ndarray) -> str:
    """Motion label of a trajectory, e.g. ``'left'``, ``'still_then_right'``.

    Args:
        positions (np.ndarray): (T, 2) centres.

    Returns:
        str: segments joined by ``'_then_'``.
    """
    return SEGMENT_SEP.join(motion_segments(positions))


def motion_phrase(label: str) -> str:
    """Participle phrase of a motion label.

    ``'left'`` -> ``'moving left'``; ``'still'`` -> ``'staying still'``;
    ``'still_then_right'`` -> ``'staying still and then moving right'``;
    ``'right_then_still'`` -> ``'moving right and then stopping'``.
    """
    words = []
    for i, segment in enumerate(label.split(SEGMENT_SEP)):
        if segment == 'still':
            words.append('staying still' if i == 0 else 'stopping')
        else:
            words.append(f'moving {segment}')
    return ' and then '.join(words)


def motion_matches(query: str, label: str) -> bool:
    """Whether an object with motion ``label`` fits the motion ``query``.

    A one-segment query ("moving left") fits every object that has that
    segment at some point, so "the object moving left" is only used when no
    other object ever moves left. A multi-segment query must match exactly.
    """
    if SEGMENT_SEP in query:
        return query == label
    return query in label.split(SEGMENT_SEP)
