"""WSRVOS contrastive referring expression augmentation (CREA, Sec. 3.2).

For every training expression ``Z_o`` of a video ``V`` an MLLM writes P
positive descriptions and N hard negatives. Positives are filtered with the
confidence of Eq. (1) and concatenated with ``Z_o``; the result is stored in
the released code's JSON format, which WSRVOS training reads::

    {"<prefix>:<video_id>:<exp_id>": {"positive_texts": [...],
                                      "positive_confidences": [...],
                                      "negative_texts": [...]}}

The model is reached through an :class:`~rvos_plugin.apis.llm.LLMBackend`;
the video-text similarity through a scorer with
``similarities(sample, texts) -> (K,) array`` (see :class:`CLIPVideoTextScorer`
and :class:`OracleSampleScorer`).
"""
import json
import os
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .crea_sources import load_mevis_samples  # noqa: F401 (re-export)
from .llm.structured import AnswerValidationError

OUTPUT_KEYS = ('positive_texts', 'positive_confidences', 'negative_texts')


def expression_confidence(sim_generated, sim_original) -> np.ndarray:
    """Confidence of generated descriptions, Eq. (1) of WSRVOS.

    ``c_k = cos(E(V), E(Z_k)) / cos(E(V), E(Z_o))``: the video-text
    similarity of the k-th generated description relative to that of the
    original expression (E = InternVideo2 in the paper).

    Args:
        sim_generated: (K,) cosine similarities ``cos(E(V), E(Z_k))``.
        sim_original: scalar ``cos(E(V), E(Z_o))``.

    Returns:
        (K,) float64 confidences ``c_k``.

    Raises:
        ValueError: when ``cos(E(V), E(Z_o)) <= 0`` (the ratio is then
            meaningless: the original expression does not match the video).
    """
    sim_generated = np.asarray(sim_generated, dtype=np.float64)
    sim_original = float(sim_original)
    if sim_original <= 0:
        raise ValueError(
            f'Eq. (1) needs cos(E(V), E(Z_o)) > 0, got {sim_original:.4f}: '
            'the scorer finds the original expression unrelated to the '
            'video; check the scorer/model or the sample.')
    return sim_generated / sim_original


def select_positive_descriptions(
        descriptions: Sequence[str], confidences: Sequence[float],
        threshold: float = 0.8) -> Tuple[List[str], List[float]]:
    """Keep descriptions with ``c_k > threshold`` (Sec. 3.2: 0.8)."""
    kept = [(d, float(c)) for d, c in zip(descriptions, confidences)
            if c > threshold]
    return [d for d, _ in kept], [c for _, c in kept]


def compose_positive(original: str, description: str,
                     template: str = '{original}. {description}') -> str:
    """Concatenate a description with ``Z_o`` ("retain the original
    information", Sec. 3.2)."""
    original = original.strip().rstrip('.')
    return template.format(original=original,
                           description=description.strip())


_ITEM_PREFIX = re.compile(r'^\s*(?:[-*•]+|\(?\d+[.):]|\(?[a-zA-Z][.)])\s+')
_LABEL = re.compile(r'^\s*\**([A-Za-z][A-Za-z &/-]{0,40})\**\s*:\s*(.+)$')


def parse_sentence_list(text: str) -> List[str]:
    """Sentences from an MLLM answer: a JSON list, or numbered/bulleted lines.

    Strips numbering, bullets, markdown bold, quotes and short category
    labels (``"Visual appearance: ..."``); drops headers and duplicates.
    """
    if not isinstance(text, str):
        return []
    stripped = text.strip()
    fence = re.search(r'```(?:json)?\s*(.*?)```', stripped, re.DOTALL)
    if fence:
        stripped = fence.group(1).strip()
    if stripped.startswith('['):
        try:
            value = json.loads(stripped)
            if isinstance(value, list):
                return list(dict.fromkeys(
                    s.strip() for s in value
                    if isinstance(s, str) and s.strip()))
        except ValueError:
            pass
    out = []
    for line in stripped.splitlines():
        line = line.strip()
        if not line:
            continue
        is_item = bool(_ITEM_PREFIX.match(line))
        line = _ITEM_PREFIX.sub('', line).replace('**', '').strip()
        label = _LABEL.match(line)
        if label and len(label.group(1).split()) <= 4:
            line = label.group(2).strip()
        line = line.strip('"\'“”').strip()
        if not line or line.endswith(':'):
            continue
        if not is_item and len(line.split()) < 3:
            continue  # a header such as "Positive sentences"
        out.append(line)
    return list(dict.fromkeys(out))


def load_prompt(path: str) -> str:
    """Read a prompt template (``{expression}`` and ``{num}`` placeholders)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'prompt template {path!r} not found')
    with open(path, 'r', encoding='utf-8') as f:
        text = f.read().strip()
    for field in ('{expression}', '{num}'):
        if field not in text:
            raise ValueError(f'prompt template {path!r} lacks {field}')
    return text


def validate_augmented_expressions(data: dict, min_positives: int = 1,
                                   threshold: float = 0.8) -> None:
    """Check the output JSON is what WSRVOS training reads.

    Raises:
        ValueError naming the key and the problem.
    """
    if not isinstance(data, dict):
        raise ValueError('augmented expressions must be a JSON object')
    for key, rec in data.items():
        if key.count(':') < 2:
            raise ValueError(f'{key!r}: keys are <prefix>:<video>:<exp_id>')
        if set(rec) != set(OUTPUT_KEYS):
            raise ValueError(f'{key!r}: keys {sorted(rec)} != '
                             f'{sorted(OUTPUT_KEYS)}')
        pos, conf, neg = (rec[k] for k in OUTPUT_KEYS)
        if len(pos) < min_positives or len(pos) != len(conf):
            raise ValueError(f'{key!r}: {len(pos)} positives, {len(conf)} '
                             'confidences')
        if not all(isinstance(t, str) and t.strip() for t in pos + neg):
            raise ValueError(f'{key!r}: empty or non-string text')
        if not all(isinstance(c, float) and c > threshold for c in conf):
            raise ValueError(f'{key!r}: confidences must be floats > '
                             f'{threshold}: {conf}')
        if set(pos) & set(neg):
            raise ValueError(f'{key!r}: a text is both positive and negative')


# ----------------------------------------------------------------- scorers
class OracleSampleScorer:
    """Eq. (1) similarities from the synthetic set's attributes.

    A thin adapter of
    :class:`~rvos_plugin.apis.llm.synthetic_oracle.OracleAttributeScorer` to
    the ``similarities(sample, texts)`` interface. Documented substitute for
    InternVideo2 on the synthetic set (no video-text model with real weights
    is available offline, and untrained encoders would score noise).
    """

    name = 'oracle'

    def __init__(self, objects_path: str, contradiction_weight: float = 4.0):
        from .llm.synthetic_oracle import OracleAttributeScorer
        self.scorer = OracleAttributeScorer(objects_path,
                                            contradiction_weight)

    def similarities(self, sample: dict, texts: Sequence[str]) -> np.ndarray:
        return self.scorer.similarities(sample['video_id'], sample['obj_ids'],
                                        texts)


class CLIPVideoTextScorer:
    """``cos(E(V), E(Z))`` with a CLIP-family model from a local folder.

    The video embedding is the normalised mean of the normalised image
    embeddings of ``num_frames`` uniformly sampled frames (a CLIP stand-in
    for InternVideo2, which has no transformers port). Frames come from the
    sample (frame folder or mp4, :func:`crea_sources.load_sample_frames`).
    Thread-safe: calls are serialised (the tool may run HTTP requests
    concurrently).

    Args:
        model_path: local folder of a transformers CLIP/SigLIP checkpoint.
        num_frames: frames per video.
        device: ``'auto'`` or a torch device string.
    """

    name = 'clip'

    def __init__(self, model_path: str, num_frames: int = 8,
                 device: str = 'auto'):
        if not model_path or not os.path.isdir(model_path):
            raise FileNotFoundError(
                f'CLIP scorer: model folder {model_path!r} does not exist. '
                'Download a CLIP checkpoint (e.g. `huggingface-cli download '
                'openai/clip-vit-large-patch14 --local-dir '
                'checkpoints/clip-vit-large-patch14`) and pass it as '
                '--scorer-model-path.')
        import threading

        import torch
        from transformers import AutoModel, AutoProcessor
        if device == 'auto':
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.processor = AutoProcessor.from_pretrained(model_path,
                                                       local_files_only=True)
        self.model = AutoModel.from_pretrained(
            model_path, local_files_only=True).to(device).eval()
        self.num_frames = num_frames
        self._lock = threading.Lock()
        self._video_cache: Dict[str, 'torch.Tensor'] = {}

    def _video_embedding(self, sample: dict):
        import torch

        from .crea_sources import load_sample_frames
        vid = sample['video_id']
        if vid in self._video_cache:
            return self._video_cache[vid]
        images = load_sample_frames(sample, self.num_frames)
        device = next(self.model.parameters()).device
        inputs = self.processor(images=images, return_tensors='pt').to(device)
        with torch.inference_mode():
            emb = self.model.get_image_features(**inputs)
        emb = torch.nn.functional.normalize(emb.float(), dim=-1).mean(0)
        emb = torch.nn.functional.normalize(emb, dim=0)
        if len(self._video_cache) >= 64:  # a few videos in flight
            self._video_cache.pop(next(iter(self._video_cache)))
        self._video_cache[vid] = emb
        return emb

    def similarities(self, sample: dict, texts: Sequence[str]) -> np.ndarray:
        import torch
        with self._lock:
            video = self._video_embedding(sample)
            inputs = self.processor(text=list(texts), return_tensors='pt',
                                    padding=True,
                                    truncation=True).to(video.device)
            with torch.inference_mode():
                emb = self.model.get_text_features(**inputs)
            emb = torch.nn.functional.normalize(emb.float(), dim=-1)
            return (emb @ video).cpu().numpy().astype(np.float64)


# ------------------------------------------------------------- one sample
def _ask_sentences(backend, prompt: str, sample: dict, task: str, num: int,
                   round_idx: int, images=None) -> List[str]:
    messages = [{'role': 'user', 'content': prompt}]
    meta = dict(task=task, video_id=sample['video_id'],
                exp_id=sample['exp_id'], obj_ids=sample['obj_ids'], num=num,
                round=round_idx)
    answer = backend.generate(messages, images=images, metadata=meta)
    return parse_sentence_list(answer)


def augment_sample(backend, scorer, sample: dict, positive_prompt: str,
                   negative_prompt: str, num_positive: int = 6,
                   num_negative: int = 48, threshold: float = 0.8,
                   max_rounds: int = 2, images=None,
                   concat_template: str = '{original}. {description}'
                   ) -> dict:
    """CREA for one (video, expression) sample (Sec. 3.2).

    Asks for ``num_positive`` descriptions, filters them with Eq. (1), and
    asks again (up to ``max_rounds`` requests each) while fewer than
    ``num_positive`` survive or fewer than ``num_negative`` negatives were
    collected; a round that brings nothing new stops early.

    When no description passes Eq. (1), the positives are the original
    expression duplicated ``num_positive`` times with ``c = 1`` (the
    "w/o CREA positives" setting of Tab. 4); :func:`is_fallback_record`
    recognises such a record.

    Returns:
        the output record (``OUTPUT_KEYS``).

    Raises:
        AnswerValidationError: when the model returns no negative.
    """
    expr = sample['expression']
    pos_prompt = positive_prompt.format(expression=expr, num=num_positive)
    neg_prompt = negative_prompt.format(expression=expr, num=num_negative)
    sim_o = float(scorer.similarities(sample, [expr])[0])
    positives: Dict[str, float] = {}
    seen = set()
    for r in range(max_rounds):
        desc = [d for d in _ask_sentences(backend, pos_prompt, sample,
                                          'wsrvos_positive', num_positive, r,
                                          images)
                if d not in seen and d.rstrip('.') != expr.rstrip('.')]
        if not desc:
            break
        seen.update(desc)
        conf = expression_confidence(scorer.similarities(sample, desc), sim_o)
        kept, kept_conf = select_positive_descriptions(desc, conf, threshold)
        for d, c in zip(kept, kept_conf):
            positives.setdefault(compose_positive(expr, d, concat_template), c)
        if len(positives) >= num_positive:
            break
    if positives:
        pos_texts = list(positives)[:num_positive]
    else:
        # no description passed Eq. (1): the original expression duplicated
        # (Tab. 4 "w/o CREA positives"; docs/decisions/wsrvos_data.md)
        pos_texts = [expr] * num_positive
        positives = {expr: 1.0}
    negatives: List[str] = []
    for r in range(max_rounds):
        new = [n for n in _ask_sentences(backend, neg_prompt, sample,
                                         'wsrvos_negative', num_negative, r,
                                         images)
               if n not in negatives and n not in pos_texts
               and n.rstrip('.') != expr.rstrip('.')]
        if not new:
            break
        negatives += new
        if len(negatives) >= num_negative:
            break
    if not negatives:
        raise AnswerValidationError(
            f'the model returned no negative expression for '
            f'{sample["key"]!r}', [])
    return dict(positive_texts=pos_texts,
                positive_confidences=[positives[p] for p in pos_texts],
                negative_texts=negatives[:num_negative])


def is_fallback_record(record: dict, expression: str) -> bool:
    """True for a record whose positives are only the original expression."""
    return all(p == expression.strip() for p in record['positive_texts'])
