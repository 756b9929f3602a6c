"""Deterministic offline backend answering from the synthetic set's truth.

The synthetic generator (``rvos_plugin/datasets/synthetic/``) writes
``<split>/objects.json`` with, per video, every object's true attributes
(``obj_id, anno_id, colour, shape, size, motion``) and the interactions
(``verb, actor, target`` with actor/target obj ids). :class:`SyntheticOracleBackend`
reads it and answers the tools' prompts the way a perfect MLLM would, in the
same text format a real model is asked for, so the tools' parsing,
validation, caching and output code runs unchanged offline.

The request is identified by ``metadata['task']`` (see ``TASKS``); the prompt
text itself is not interpreted.
"""
import json
import os
import random
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from .base import BackendError, Message

_STILL = ('static', 'still', 'stationary', 'none', 'idle')
_DIRECTIONS = ('left', 'right', 'up', 'down')


def _vocab():
    """Verb tables of the synthetic set (its attributes module when present)."""
    try:
        from rvos_plugin.datasets.synthetic import attributes as a
        return dict(a.UNIDIRECTIONAL_VERBS), dict(a.BIDIRECTIONAL_VERBS)
    except ImportError:  # pragma: no cover - generator not installed
        return {}, {}


@dataclass
class SyntheticObject:
    """True attributes of one synthetic object."""
    obj_id: int
    anno_id: int
    colour: str
    shape: str
    size: str
    motion: str

    @property
    def appearance(self) -> str:
        return f'{self.size} {self.colour} {self.shape}'


@dataclass
class SyntheticInteraction:
    """``actor`` acts on ``target`` (obj ids); symmetric when bidirectional."""
    verb: str
    actor: int
    target: int
    bidirectional: bool = False


@dataclass
class SyntheticVideo:
    video_id: str
    objects: Dict[int, SyntheticObject] = field(default_factory=dict)
    interactions: List[SyntheticInteraction] = field(default_factory=list)


def load_synthetic_objects(path: str) -> Dict[str, SyntheticVideo]:
    """Read ``objects.json`` of a synthetic split.

    Accepted layouts (``{"videos": {...}}`` or the video dict at the top):
    ``{<video_id>: {"objects": [obj, ...] or {obj_id: obj}, "interactions":
    [{"verb", "actor", "target"[, "type"]}]}}``; ``color`` is accepted for
    ``colour``.

    Raises:
        FileNotFoundError / ValueError naming the file and the bad item.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f'{path!r} not found: the oracle backend needs the objects.json '
            'written by the synthetic generator next to meta_expressions.json '
            '(regenerate the synthetic set, or choose another backend).')
    with open(path, 'r', encoding='utf-8') as f:
        raw = json.load(f)
    videos = raw.get('videos', raw) if isinstance(raw, dict) else None
    if not isinstance(videos, dict):
        raise ValueError(f'{path}: expected {{"videos": {{<video_id>: ...}}}}')
    _, bi_verbs = _vocab()
    out = {}
    for vid, info in videos.items():
        objs = info.get('objects') if isinstance(info, dict) else None
        if isinstance(objs, dict):
            objs = [dict(o, obj_id=o.get('obj_id', k)) for k, o in objs.items()]
        if not isinstance(objs, list):
            raise ValueError(f'{path}: video {vid!r} has no "objects" list')
        video = SyntheticVideo(str(vid))
        for i, o in enumerate(objs):
            try:
                obj = SyntheticObject(
                    obj_id=int(o['obj_id']), anno_id=int(o['anno_id']),
                    colour=str(o.get('colour', o.get('color'))),
                    shape=str(o['shape']), size=str(o['size']),
                    motion=str(o['motion']))
            except (KeyError, TypeError, ValueError) as err:
                raise ValueError(
                    f'{path}: video {vid!r} object #{i} lacks or has a bad '
                    f'field ({err!r}); required: obj_id, anno_id, colour, '
                    'shape, size, motion') from None
            video.objects[obj.obj_id] = obj
        for i, it in enumerate(info.get('interactions') or []):
            try:
                verb = str(it['verb'])
                actor, target = int(it['actor']), int(it['target'])
            except (KeyError, TypeError, ValueError) as err:
                raise ValueError(f'{path}: video {vid!r} interaction #{i} '
                                 f'needs verb/actor/target ({err!r})') from None
            for oid in (actor, target):
                if oid not in video.objects:
                    raise ValueError(f'{path}: video {vid!r} interaction #{i} '
                                     f'names unknown obj_id {oid}')
            bidir = (it.get('type', it.get('kind', it.get('caption_type')))
                     == 'bidirectional'
                     or verb in bi_verbs)
            video.interactions.append(
                SyntheticInteraction(verb, actor, target, bidir))
        out[video.video_id] = video
    return out


# ---------------------------------------------------------------- phrasing
def motion_phrase(motion: str) -> str:
    """``'left'`` -> ``'moving left'``, ``'still'`` -> ``'staying still'``.

    Uses the synthetic generator's own phrasing
    (``rvos_plugin.datasets.synthetic.trajectories.motion_phrase``, which
    also handles ``'still_then_right'``) when it is importable.
    """
    try:
        from rvos_plugin.datasets.synthetic.trajectories import \
            motion_phrase as generator_phrase
        return generator_phrase(motion)
    except ImportError:  # pragma: no cover - generator absent
        pass
    m = motion.replace('_', ' ').strip()
    if m.lower() in _STILL:
        return 'staying still'
    if m.lower() in _DIRECTIONS:
        return f'moving {m}'
    return m


_MOTION_FILLER = {'moving', 'staying', 'and', 'then'}


def active_phrase(verb: str) -> str:
    """``'chases'`` -> ``'chasing'`` (synthetic vocabulary)."""
    uni, bi = _vocab()
    if verb in uni:
        return uni[verb][0]
    if verb in bi:
        return bi[verb]
    return verb.replace('_', ' ')


def passive_phrase(verb: str) -> str:
    """``'chases'`` -> ``'being chased by'``."""
    uni, _ = _vocab()
    if verb in uni:
        return f'being {uni[verb][1]} by'
    return f'being {verb.replace("_", " ")} by'


def _plural(noun: str) -> str:
    try:
        from rvos_plugin.datasets.synthetic.attributes import SHAPES
        return SHAPES.get(noun, noun + 's')
    except ImportError:  # pragma: no cover
        return noun + 's'


def interaction_phrase(video: SyntheticVideo, it: SyntheticInteraction,
                       subject: int, level: str = 'appearance') -> str:
    """Referring phrase headed by ``subject`` (an obj id of the interaction)."""
    def name(oid):
        o = video.objects[oid]
        return o.appearance if level == 'appearance' else o.shape
    if it.bidirectional:
        other = it.target if subject == it.actor else it.actor
        if level != 'appearance' and name(subject) == name(other):
            return f'{_plural(name(subject))} {active_phrase(it.verb)}'
        return f'{name(subject)} and {name(other)} {active_phrase(it.verb)}'
    if subject == it.actor:
        return f'{name(it.actor)} {active_phrase(it.verb)} the {name(it.target)}'
    return f'{name(it.target)} {passive_phrase(it.verb)} the {name(it.actor)}'


# ------------------------------------------------------------------ backend
class SyntheticOracleBackend:
    """Answers the annotation prompts from ``objects.json`` (no model).

    Tasks (``metadata['task']``):
        ``wsrvos_positive`` / ``wsrvos_negative`` (``video_id``, ``obj_ids``,
        ``num``): numbered lists of true descriptions / hard negatives that
        change exactly one of colour, shape, size, motion or relation.
        ``interrvos_stage1`` (``video_id``, ``obj_id``): two sentences.
        ``interrvos_stage2_single`` (``video_id``, ``obj_id``): JSON.
        ``interrvos_stage2_multi`` (``video_id``, ``obj_ids``): JSON.
        ``interrvos_stage3`` (``video_id``, ``labels`` {"[i]": obj_id}): JSON.
        ``interrvos_stage4`` (``video_id``, ``labels``, ``subject_label``,
        ``interaction_index``, ``level``-free): JSON with both levels.

    Args:
        objects_path: the split's ``objects.json``.
        seed: makes the choice/order of WSRVOS sentences deterministic.
    """

    name = 'oracle'
    TASKS = ('wsrvos_positive', 'wsrvos_negative', 'interrvos_stage1',
             'interrvos_stage2_single', 'interrvos_stage2_multi',
             'interrvos_stage3', 'interrvos_stage4')

    def __init__(self, objects_path: str, seed: int = 0):
        self.objects_path = objects_path
        self.videos = load_synthetic_objects(objects_path)
        self.seed = seed
        self.num_calls = 0
        self._vocab = self._split_vocab()

    def _split_vocab(self) -> Dict[str, List[str]]:
        vocab = {k: set() for k in ('colour', 'shape', 'size', 'motion',
                                    'verb')}
        for video in self.videos.values():
            for o in video.objects.values():
                for k in ('colour', 'shape', 'size', 'motion'):
                    vocab[k].add(getattr(o, k))
            for it in video.interactions:
                if not it.bidirectional:
                    vocab['verb'].add(it.verb)
        uni, _ = _vocab()
        vocab['verb'] |= set(uni)
        try:
            from rvos_plugin.datasets.synthetic import attributes as a
            vocab['colour'] |= set(a.COLOURS)
            vocab['shape'] |= set(a.SHAPES)
            vocab['size'] |= set(a.SIZES)
        except ImportError:  # pragma: no cover
            pass
        return {k: sorted(v) for k, v in vocab.items()}

    # -- helpers
    def video(self, video_id: str) -> SyntheticVideo:
        if video_id not in self.videos:
            raise BackendError(f'oracle: video {video_id!r} is not in '
                               f'{self.objects_path}')
        return self.videos[video_id]

    def obj(self, video_id: str, obj_id: int) -> SyntheticObject:
        video = self.video(video_id)
        if int(obj_id) not in video.objects:
            raise BackendError(f'oracle: object {obj_id} of video '
                               f'{video_id!r} is not in {self.objects_path}')
        return video.objects[int(obj_id)]

    def generate(self,
                 messages: List[Message],
                 images: Optional[Sequence[np.ndarray]] = None,
                 metadata: Optional[dict] = None,
                 **kwargs) -> str:
        """Answer from the ground truth described by ``metadata``."""
        self.num_calls += 1
        meta = metadata or {}
        task = meta.get('task')
        if task not in self.TASKS:
            raise BackendError(
                f'oracle backend needs metadata["task"] in {self.TASKS}, got '
                f'{task!r}; it cannot answer free prompts.')
        return getattr(self, f'_{task}')(meta)

    # -- WSRVOS (Sec. 3.2)
    def _true_clauses(self, video: SyntheticVideo, o: SyntheticObject,
                      prefix: str) -> List[str]:
        mp = motion_phrase(o.motion)
        clauses = [
            f'{prefix} a {o.size} {o.colour} {o.shape}.',
            f'{prefix} a {o.colour} {o.shape} {mp}.',
            f'{prefix} {o.size} and {o.colour}.',
            f'{prefix} a {o.size} {o.shape} {mp}.',
            f'{prefix} {mp} throughout the video.',
            f'{prefix} a {o.size} {o.colour} {o.shape} {mp}.',
        ]
        for it in video.interactions:
            if o.obj_id in (it.actor, it.target):
                phrase = interaction_phrase(video, it, o.obj_id)
                clauses.append(f'{prefix} the {phrase}.')
        return clauses

    def _rng(self, meta: dict) -> random.Random:
        key = f"{self.seed}:{meta.get('video_id')}:{meta.get('exp_id')}:" \
              f"{meta.get('task')}:{meta.get('round', 0)}"
        return random.Random(key)

    def _wsrvos_positive(self, meta: dict) -> str:
        video = self.video(meta['video_id'])
        objs = [self.obj(video.video_id, i) for i in meta['obj_ids']]
        prefix = 'It is' if len(objs) == 1 else 'One of them is'
        clauses = []
        for o in objs:
            clauses += self._true_clauses(video, o, prefix)
        if len(objs) > 1 and len({o.motion for o in objs}) == 1:
            clauses.append(f'They are all {motion_phrase(objs[0].motion)}.')
        clauses = list(dict.fromkeys(clauses))
        self._rng(meta).shuffle(clauses)
        num = int(meta.get('num', 6))
        return '\n'.join(f'{i}. {c}' for i, c in enumerate(clauses[:num], 1))

    def _wsrvos_negative(self, meta: dict) -> str:
        video = self.video(meta['video_id'])
        objs = [self.obj(video.video_id, i) for i in meta['obj_ids']]
        prefix = 'It is' if len(objs) == 1 else 'One of them is'
        true_tuples = {(o.size, o.colour, o.shape, o.motion) for o in objs}
        negatives = []
        for o in objs:
            base = dict(size=o.size, colour=o.colour, shape=o.shape,
                        motion=o.motion)
            for attr in ('colour', 'shape', 'size', 'motion'):
                for alt in self._vocab[attr]:
                    if alt == base[attr]:
                        continue
                    a = dict(base, **{attr: alt})
                    if (a['size'], a['colour'], a['shape'],
                            a['motion']) in true_tuples:
                        continue  # would describe another referent truly
                    mp = motion_phrase(a['motion'])
                    negatives += [
                        f"{prefix} a {a['size']} {a['colour']} {a['shape']} "
                        f'{mp}.',
                        f"{prefix} a {a['colour']} {a['shape']} {mp}."
                        if attr != 'size' else
                        f"{prefix} a {a['size']} {a['shape']} {mp}.",
                    ]
            negatives += self._relation_negatives(video, o, prefix)
        negatives = list(dict.fromkeys(negatives))
        self._rng(meta).shuffle(negatives)
        num = int(meta.get('num', 48))
        return '\n'.join(f'{i}. {c}' for i, c in enumerate(negatives[:num], 1))

    def _relation_negatives(self, video, o, prefix) -> List[str]:
        """Same sentence as a true relation with exactly the relation changed."""
        out = []
        truth = {(it.verb, it.actor, it.target) for it in video.interactions}
        for it in video.interactions:
            if o.obj_id not in (it.actor, it.target) or it.bidirectional:
                continue
            for verb in self._vocab['verb']:
                if verb == it.verb:
                    continue
                fake = SyntheticInteraction(verb, it.actor, it.target)
                if (verb, it.actor, it.target) in truth:
                    continue
                out.append(f'{prefix} the '
                           f'{interaction_phrase(video, fake, o.obj_id)}.')
            # role swap: the same verb with actor and target exchanged
            if (it.verb, it.target, it.actor) not in truth:
                swapped = SyntheticInteraction(it.verb, it.target, it.actor)
                out.append(f'{prefix} the '
                           f'{interaction_phrase(video, swapped, o.obj_id)}.')
        if not any(o.obj_id in (it.actor, it.target)
                   for it in video.interactions):
            # invent a relation with another object of the video
            for other in video.objects.values():
                if other.obj_id == o.obj_id:
                    continue
                for verb in self._vocab['verb'][:2]:
                    fake = SyntheticInteraction(verb, o.obj_id, other.obj_id)
                    out.append(f'{prefix} the '
                               f'{interaction_phrase(video, fake, o.obj_id)}.')
        return out

    # -- InterRVOS (Sec. 3.1, Figures A7-A13)
    def _interrvos_stage1(self, meta: dict) -> str:
        o = self.obj(meta['video_id'], meta['obj_id'])
        return (f'A {o.size} {o.colour} {o.shape}. '
                f'It keeps {motion_phrase(o.motion)} during the video.')

    def _interrvos_stage2_single(self, meta: dict) -> str:
        o = self.obj(meta['video_id'], meta['obj_id'])
        mp = motion_phrase(o.motion)
        return json.dumps({'all': f'{o.appearance} {mp}',
                           'motion': f'object {mp}',
                           'appearance': o.appearance})

    def _interrvos_stage2_multi(self, meta: dict) -> str:
        video = self.video(meta['video_id'])
        groups: Dict[tuple, List[int]] = {}
        for oid in meta['obj_ids']:
            o = self.obj(video.video_id, oid)
            if o.motion.lower() in _STILL:
                continue  # Figure A9: never merge stationary objects
            groups.setdefault((o.shape, o.motion), []).append(o.obj_id)
        for (shape, motion), ids in sorted(groups.items()):
            if len(ids) > 1:
                plural = _plural(shape)
                return json.dumps({'merged': 'YES', 'merged_objects': ids,
                                   'merged_caption':
                                   f'{plural} {motion_phrase(motion)}'})
        return json.dumps({'merged': 'NO', 'merged_objects': None,
                           'merged_caption': None})

    def _interrvos_stage3(self, meta: dict) -> str:
        video = self.video(meta['video_id'])
        label_of = {int(oid): lab for lab, oid in meta['labels'].items()}
        out = []
        for it in video.interactions:
            if it.actor not in label_of or it.target not in label_of:
                continue
            a, t = label_of[it.actor], label_of[it.target]
            if it.bidirectional:
                out.append({'object_pair': [a, t], 'type': 'bidirectional',
                            'descriptions': [f'Object {a} and object {t} are '
                                             f'{active_phrase(it.verb)}.']})
            else:
                out.append({'object_pair': [a, t], 'type': 'unidirectional',
                            'descriptions': [
                                f'Object {a} is {active_phrase(it.verb)} '
                                f'object {t}.',
                                f'Object {t} is {passive_phrase(it.verb)} '
                                f'object {a}.']})
        return json.dumps({'interaction': 'YES' if out else 'NO',
                           'interactions': out})

    def _interrvos_stage4(self, meta: dict) -> str:
        video = self.video(meta['video_id'])
        labels = {lab: int(oid) for lab, oid in meta['labels'].items()}
        subject = labels[meta['subject_label']]
        others = {labels[lab] for lab in meta['pair_labels']} - {subject}
        for it in video.interactions:
            if {it.actor, it.target} == others | {subject}:
                return json.dumps({
                    'class_level': interaction_phrase(video, it, subject,
                                                      'class'),
                    'appearance_level': interaction_phrase(video, it, subject,
                                                           'appearance')})
        raise BackendError(f'oracle: no interaction between {sorted(others)} '
                           f'and {subject} in video {video.video_id!r}')


# --------------------------------------------------------- oracle scorer
_WORD = r'(?<![a-z]){}(?![a-z])'


class OracleAttributeScorer:
    """Video-text similarity for the synthetic set, from attribute agreement.

    Stands in for ``cos(E(V), E(Z))`` of Eq. (1) where no video-text model
    with real weights is available offline. Every vocabulary word (colour,
    shape, size, motion word, verb participle) mentioned in the text is
    checked against the referred objects and their interaction partners:
    ``s = (1 + matches) / (1 + matches + w * contradictions)`` with ``w =
    contradiction_weight`` (one wrong attribute outweighs several right ones,
    as a real encoder's similarity would drop). ``s`` is in (0, 1]; a text
    without any attribute word (a refusal, "the thing") is uninformative
    and scores ``neutral_score`` (0.5), so it only passes Eq. (1) against an
    equally uninformative original expression.

    Args:
        objects_path: the split's ``objects.json``.
        contradiction_weight: ``w`` above.
    """

    name = 'oracle'

    def __init__(self, objects_path: str, contradiction_weight: float = 4.0,
                 neutral_score: float = 0.5):
        self.videos = load_synthetic_objects(objects_path)
        self.w = contradiction_weight
        self.neutral_score = neutral_score
        uni, bi = _vocab()
        self.verb_words = {v: {v, p[0], p[1]} for v, p in uni.items()}
        vocab = SyntheticOracleBackend.__new__(SyntheticOracleBackend)
        vocab.videos = self.videos
        self.vocab = SyntheticOracleBackend._split_vocab(vocab)

    def _true_words(self, video: SyntheticVideo, obj_ids) -> set:
        ids = set(int(i) for i in obj_ids)
        for it in video.interactions:
            if it.actor in ids or it.target in ids:
                ids |= {it.actor, it.target}
        words = set()
        for oid in ids:
            o = video.objects[oid]
            words |= {o.colour, o.shape, o.size}
            words |= set(motion_phrase(o.motion).split()) - _MOTION_FILLER
        for it in video.interactions:
            if it.actor in obj_ids or it.target in obj_ids:
                words |= self.verb_words.get(it.verb, {it.verb})
        return words

    def similarities(self, video_id: str, obj_ids: Sequence[int],
                     texts: Sequence[str]) -> np.ndarray:
        """Scores of ``texts`` against video ``video_id``: (len(texts),)."""
        if video_id not in self.videos:
            raise KeyError(f'oracle scorer: video {video_id!r} not in '
                           'objects.json')
        video = self.videos[video_id]
        truth = self._true_words(video, obj_ids)
        checkable = set()
        for k in ('colour', 'shape', 'size'):
            checkable |= set(self.vocab[k])
        for m in self.vocab['motion']:
            checkable |= set(motion_phrase(m).split()) - _MOTION_FILLER
        for v in self.vocab['verb']:
            checkable |= self.verb_words.get(v, {v})
        scores = []
        for text in texts:
            low = text.lower()
            mentioned = {w for w in checkable
                         if re.search(_WORD.format(re.escape(w)), low)}
            m = len(mentioned & truth)
            c = len(mentioned - truth)
            scores.append((1 + m) / (1 + m + self.w * c) if m + c else
                          self.neutral_score)
        return np.asarray(scores, dtype=np.float64)
