"""Referring-expression templates of the synthetic RVOS set.

The expression kinds follow InterRVOS Sec. 3.1 (Stage 2: appearance-only,
motion-only, appearance+motion, multi-instance; Stages 3-4: bidirectional and
unidirectional interactions, the latter from both the actor's and the
target's viewpoint). Every expression is checked to be unambiguous: the
objects matching its description among the video's objects are exactly the
objects it refers to.
"""
import itertools
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .attributes import (BIDIRECTIONAL_VERBS, GENERIC_NOUNS, NUMBER_WORDS,
                         SHAPES, UNIDIRECTIONAL_VERBS)
from .scene import Interaction, SceneObject
from .trajectories import SEGMENT_SEP, motion_matches, motion_phrase

# At most this many expressions per single/multi kind per video.
MAX_PER_KIND = 2
# Probability of naming the referred object generically ("the object pushing
# the red circle") when the interaction alone identifies it.
GENERIC_REFERENT_PROB = 0.25

KIND_TO_CAPTION_TYPE = {
    'appearance': 'single',
    'motion': 'single',
    'appearance_motion': 'single',
    'multi': 'multi',
    'bidirectional': 'bidirectional',
    'unidirectional_active': 'unidirectional',
    'unidirectional_passive': 'unidirectional',
}


@dataclass(frozen=True)
class Descriptor:
    """A conjunction of attributes; None means "not mentioned"."""
    size: Optional[str] = None
    colour: Optional[str] = None
    shape: Optional[str] = None
    motion: Optional[str] = None

    @property
    def has_appearance(self) -> bool:
        return any(v is not None for v in (self.size, self.colour, self.shape))

    def matches(self, obj: SceneObject) -> bool:
        """Whether ``obj`` fits every mentioned attribute."""
        return ((self.size is None or obj.size == self.size)
                and (self.colour is None or obj.colour == self.colour)
                and (self.shape is None or obj.shape == self.shape)
                and (self.motion is None
                     or motion_matches(self.motion, obj.motion)))

    def noun_phrase(self, generic: int = 0, count: int = 1) -> str:
        """Words after the article: ``'big red circle moving left'``.

        Args:
            generic (int): index into ``GENERIC_NOUNS`` when no shape.
            count (int): 1 for singular, else plural with the number word.
        """
        words = []
        if count > 1:
            words.append(NUMBER_WORDS.get(count, str(count)))
        words += [w for w in (self.size, self.colour) if w is not None]
        if self.shape is not None:
            words.append(self.shape if count == 1 else SHAPES[self.shape])
        else:
            words.append(GENERIC_NOUNS[generic][0 if count == 1 else 1])
        if self.motion is not None:
            words.append(motion_phrase(self.motion))
        return ' '.join(words)


@dataclass
class Expression:
    """One generated expression before ids are mapped to annotation ids.

    Attributes:
        text (str): the expression.
        kind (str): key of ``KIND_TO_CAPTION_TYPE``.
        obj_ids (list[int]): referred objects (top-level ``obj_id``).
        subject (list[int]): subject (actor) obj_ids.
        object (list[int]): object (target) obj_ids, empty when none.
    """
    text: str
    kind: str
    obj_ids: List[int]
    subject: List[int]
    object: List[int]

    @property
    def caption_type(self) -> str:
        return KIND_TO_CAPTION_TYPE[self.kind]


def motion_queries(objects: Sequence[SceneObject]) -> List[str]:
    """Every motion query a description may use: full labels and segments."""
    queries = set()
    for obj in objects:
        queries.add(obj.motion)
        queries.update(obj.motion.split(SEGMENT_SEP))
    return sorted(queries)


def all_descriptors(objects: Sequence[SceneObject]) -> List[Descriptor]:
    """Every non-empty attribute conjunction built from the video's values."""
    sizes = [None] + sorted({o.size for o in objects})
    colours = [None] + sorted({o.colour for o in objects})
    shapes = [None] + sorted({o.shape for o in objects})
    motions = [None] + motion_queries(objects)
    descriptors = []
    for size, colour, shape, motion in itertools.product(
            sizes, colours, shapes, motions):
        desc = Descriptor(size, colour, shape, motion)
        if desc.has_appearance or motion is not None:
            descriptors.append(desc)
    return descriptors


def referents(desc: Descriptor,
              objects: Sequence[SceneObject]) -> Tuple[int, ...]:
    """obj_ids of the objects matching ``desc`` (sorted)."""
    return tuple(o.obj_id for o in objects if desc.matches(o))


def group_descriptors(
        objects: Sequence[SceneObject]
) -> Dict[Tuple[int, ...], List[Descriptor]]:
    """Map each non-empty matched set of objects to its descriptors.

    The matched set uses ``motion_matches`` (any object that ever makes the
    mentioned motion), so a description is kept only if nothing else in the
    video fits it.
    """
    by_id = {o.obj_id: o for o in objects}
    groups: Dict[Tuple[int, ...], List[Descriptor]] = {}
    for desc in all_descriptors(objects):
        ids = referents(desc, objects)
        # A motion phrase is only used for objects whose whole motion it
        # states ("moving up" never names an object that later stops).
        if ids and (desc.motion is None
                    or all(by_id[i].motion == desc.motion for i in ids)):
            groups.setdefault(ids, []).append(desc)
    return groups


def unique_descriptors(groups: Dict[Tuple[int, ...], List[Descriptor]],
                       obj_id: int, kind: str) -> List[Descriptor]:
    """Descriptors matching only ``obj_id``, filtered by expression kind.

    ``appearance``: no motion; ``motion``: motion only;
    ``appearance_motion``: both, preferring those whose appearance part
    alone would be ambiguous (the motion is needed).
    """
    found = groups.get((obj_id, ), [])
    if kind == 'appearance':
        return [d for d in found if d.motion is None]
    if kind == 'motion':
        return [d for d in found if not d.has_appearance]
    both = [d for d in found if d.has_appearance and d.motion is not None]
    appearance_unique = {
        Descriptor(d.size, d.colour, d.shape)
        for d in found if d.motion is None
    }
    needed = [
        d for d in both
        if Descriptor(d.size, d.colour, d.shape) not in appearance_unique
    ]
    return needed or both


def _pick(rng: np.random.Generator, items: Sequence):
    return items[int(rng.integers(len(items)))]


def _generic(rng: np.random.Generator) -> int:
    return int(rng.integers(len(GENERIC_NOUNS)))


def single_and_multi_expressions(
        rng: np.random.Generator,
        objects: Sequence[SceneObject]) -> List[Expression]:
    """Appearance, motion, appearance+motion and multi-object expressions."""
    groups = group_descriptors(objects)
    out: List[Expression] = []
    for kind in ('appearance', 'motion', 'appearance_motion'):
        candidates = [(o.obj_id, unique_descriptors(groups, o.obj_id, kind))
                      for o in objects]
        candidates = [c for c in candidates if c[1]]
        for idx in rng.permutation(len(candidates))[:MAX_PER_KIND]:
            obj_id, descs = candidates[int(idx)]
            desc = _pick(rng, descs)
            out.append(
                Expression(f'the {desc.noun_phrase(_generic(rng))}', kind,
                           [obj_id], [obj_id], []))
    multi_sets = sorted(ids for ids in groups if len(ids) >= 2)
    for idx in rng.permutation(len(multi_sets))[:MAX_PER_KIND]:
        ids = multi_sets[int(idx)]
        desc = _pick(rng, groups[ids])
        text = f'the {desc.noun_phrase(_generic(rng), count=len(ids))}'
        out.append(Expression(text, 'multi', list(ids), list(ids), []))
    if not multi_sets and len(objects) >= 2:
        # No shared attribute: conjunction of two uniquely described objects.
        described = [(o.obj_id, unique_descriptors(groups, o.obj_id,
                                                   'appearance'))
                     for o in objects]
        described = [d for d in described if d[1]]
        if len(described) >= 2:
            pair = sorted(int(i) for i in rng.permutation(len(described))[:2])
            (id_a, da), (id_b, db) = described[pair[0]], described[pair[1]]
            text = (f'the {_pick(rng, da).noun_phrase()} and the '
                    f'{_pick(rng, db).noun_phrase()}')
            out.append(
                Expression(text, 'multi', [id_a, id_b], [id_a, id_b], []))
    return out


def _object_phrase(rng: np.random.Generator,
                   groups: Dict[Tuple[int, ...], List[Descriptor]],
                   obj_id: int, allow_generic: bool,
                   generic_prob: float = GENERIC_REFERENT_PROB
                   ) -> Optional[str]:
    """Noun phrase naming one interacting object, e.g. 'red circle'.

    Uses a unique appearance description. Returns a generic noun (with
    probability ``generic_prob`` when ``allow_generic``) or None (no
    unique description: identical-looking objects); both are unambiguous
    only because a video has at most one interaction per verb. The random
    draws do not depend on ``generic_prob``, so the rest of a video's
    expressions are the same whatever its value.
    """
    descs = unique_descriptors(groups, obj_id, 'appearance')
    if allow_generic and (not descs or rng.random() < generic_prob):
        return GENERIC_NOUNS[_generic(rng)][0]
    return _pick(rng, descs).noun_phrase() if descs else None


def _counterpart(rng: np.random.Generator, phrase: Optional[str]) -> str:
    """'the red circle', or 'another object' when it has no description."""
    if phrase is None:
        return f'another {GENERIC_NOUNS[_generic(rng)][0]}'
    return f'the {phrase}'


def interaction_expressions(
        rng: np.random.Generator, objects: Sequence[SceneObject],
        interactions: Sequence[Interaction],
        generic_referent_prob: float = GENERIC_REFERENT_PROB
) -> List[Expression]:
    """Bidirectional and unidirectional (active + passive) expressions.

    Active: "the blue square pushing the red circle" refers to the actor
    (subject = actor, object = target). Passive: "the red circle being pushed
    by the blue square" refers to the target (subject = target, object =
    actor), as in InterRVOS Stage 3's role-reversed pseudo-captions.

    Args:
        generic_referent_prob (float): probability of naming the referred
            object of a unidirectional expression generically ("the object
            pushing the red circle") when it has a unique description.
    """
    verbs = [i.verb for i in interactions]
    if len(set(verbs)) != len(verbs):
        raise ValueError(f'Each verb may occur once per video, got {verbs}.')
    groups = group_descriptors(objects)
    out: List[Expression] = []
    for inter in interactions:
        a, b = inter.actor, inter.target
        if inter.caption_type == 'bidirectional':
            phrase = BIDIRECTIONAL_VERBS[inter.verb]
            pa = _object_phrase(rng, groups, a, allow_generic=False)
            pb = _object_phrase(rng, groups, b, allow_generic=False)
            if pa is None or pb is None or rng.random() < 0.25:
                text = f'the two {GENERIC_NOUNS[_generic(rng)][1]} {phrase}'
            else:
                text = f'the {pa} and the {pb} {phrase}'
            out.append(Expression(text, 'bidirectional', [a, b], [a, b], []))
            continue
        active, passive = UNIDIRECTIONAL_VERBS[inter.verb]
        actor_ref = _object_phrase(rng, groups, a, allow_generic=True,
                                   generic_prob=generic_referent_prob)
        target_np = _counterpart(
            rng, _object_phrase(rng, groups, b, allow_generic=False))
        out.append(
            Expression(f'the {actor_ref} {active} {target_np}',
                       'unidirectional_active', [a], [a], [b]))
        target_ref = _object_phrase(rng, groups, b, allow_generic=True,
                                    generic_prob=generic_referent_prob)
        actor_np = _counterpart(
            rng, _object_phrase(rng, groups, a, allow_generic=False))
        out.append(
            Expression(f'the {target_ref} being {passive} by {actor_np}',
                       'unidirectional_passive', [b], [b], [a]))
    return out


def generate_expressions(
        rng: np.random.Generator, objects: Sequence[SceneObject],
        interactions: Sequence[Interaction],
        generic_referent_prob: float = GENERIC_REFERENT_PROB
) -> List[Expression]:
    """All expressions of one video, deduplicated by text, in a fixed order.

    Args:
        generic_referent_prob (float): see :func:`interaction_expressions`.

    Raises:
        ValueError: if an expression is empty (a template bug).
    """
    if not 0.0 <= generic_referent_prob <= 1.0:
        raise ValueError('generic_referent_prob must be in [0, 1], got '
                         f'{generic_referent_prob}.')
    out, seen = [], set()
    for expr in (single_and_multi_expressions(rng, objects) +
                 interaction_expressions(rng, objects, interactions,
                                         generic_referent_prob)):
        text = ' '.join(expr.text.split())
        if not text or text == 'the':
            raise ValueError(f'Empty expression generated for {expr}.')
        if text in seen:
            continue
        seen.add(text)
        expr.text = text
        out.append(expr)
    return out
