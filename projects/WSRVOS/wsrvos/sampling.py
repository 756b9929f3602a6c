"""Drawing the P positive and N negative expressions of a training sample.

Data sampling happens in the pipeline, never in the model: the model turns
the drawn texts into slot tensors deterministically (``slots.py``).

- :class:`WSRVOSSampleExpressions` (transform): checks the CREA entry of the
  sample (Sec. 3.2), draws P positives (Eq. (4) needs exactly P maps: fewer
  survivors are cycled, see :func:`fill_positives`) and up to N generated
  negatives (Sec. 4.2: P = 6, N = 48).
- Negatives drawn from other videos' expressions (Tab. 4 "w/o CREA
  negatives") need state across iterations and ranks: the transform leaves
  them to ``WSRVOSNegativeBankHook`` (``hooks.py``).
- :class:`WSRVOSShuffleExpressionSlots` (transform, lever of
  WSRVOS_PITFALLS.md): a random slot order per sample.
"""
import random
from typing import List, Sequence, Tuple

from mmcv.transforms import BaseTransform

from rvos_plugin.registry import TRANSFORMS
from rvos_plugin.utils.sample_rng import sample_rng


def check_text(text, where: str) -> str:
    """A non-empty expression, stripped; else a ValueError naming ``where``."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f'Empty or non-string expression {text!r} in '
                         f'{where}; fix the annotation/expression file.')
    return text.strip()


def fill_positives(texts: Sequence[str], confidences: Sequence[float],
                   num: int) -> Tuple[List[str], List[float]]:
    """Repeat the surviving positives in turn until there are ``num``.

    Eq. (4) averages P confidence-weighted maps; with fewer than P surviving
    descriptions (c_k <= 0.8 discarded, Sec. 3.2) each survivor is repeated
    the same number of times (+-1), so the fused map weights them as Eq. (4)
    weights the survivors. ``['A', 'B']`` -> ``['A', 'B', 'A', 'B', 'A',
    'B']`` (the former code repeated only ``'A'``).

    Args:
        texts (Sequence[str]): K >= 1 positives.
        confidences (Sequence[float]): Their c_k.
        num (int): P.

    Returns:
        tuple: ``num`` texts and confidences (the first ``num`` when K > num).
    """
    if not texts:
        raise ValueError('fill_positives needs at least one positive')
    K = len(texts)
    idx = [i % K for i in range(num)]
    return [texts[i] for i in idx], [float(confidences[i]) for i in idx]


@TRANSFORMS.register_module()
class WSRVOSSampleExpressions(BaseTransform):
    """Draw the P positives and N negatives of a training sample.

    Required Keys:
        - expression (str): the original expression Z_o
        - positive_texts, positive_confidences, negative_texts (from
          ``LoadWSRVOSExpressions``)
        - video_id, exp_id (for error messages)
        - sample_idx (optional: with ``RVOSEpochSeedHook`` the draws come
          from a generator of (seed, iteration, sample_idx), the same on any
          split of the batch over ranks; ``rvos_plugin.utils.sample_rng``)

    Modified Keys:
        - positive_texts (list[str]): exactly P
        - positive_confidences (list[float]): exactly P
        - negative_texts (list[str] | None): at most N; ``None`` when
          ``negative_source='other_samples'`` (``WSRVOSNegativeBankHook``
          fills them)

    Args:
        num_positives (int): P (Sec. 4.2: 6).
        num_negatives (int): N (Sec. 4.2: 48).
        positive_source (str): ``'generated'`` (CREA) or ``'original'``
            (the original expression P times, Tab. 4 "w/o CREA positives").
        negative_source (str): ``'generated'`` (CREA) or ``'other_samples'``
            (other videos' expressions, Tab. 4 "w/o CREA negatives").
    """

    def __init__(self, num_positives: int = 6, num_negatives: int = 48,
                 positive_source: str = 'generated',
                 negative_source: str = 'generated') -> None:
        if positive_source not in ('generated', 'original'):
            raise ValueError("positive_source must be 'generated' or "
                             f"'original', got {positive_source!r}")
        if negative_source not in ('generated', 'other_samples'):
            raise ValueError("negative_source must be 'generated' or "
                             f"'other_samples', got {negative_source!r}")
        if num_positives < 1 or num_negatives < 0:
            raise ValueError('need num_positives >= 1 and num_negatives >= 0')
        self.num_positives = num_positives
        self.num_negatives = num_negatives
        self.positive_source = positive_source
        self.negative_source = negative_source

    @staticmethod
    def _get(results: dict, key: str, where: str):
        if key not in results:
            raise KeyError(
                f'{where}: {key!r} is missing; put LoadWSRVOSExpressions '
                'before WSRVOSSampleExpressions in the train pipeline.')
        return results[key]

    def transform(self, results: dict) -> dict:
        where = f"sample {results.get('video_id')}:{results.get('exp_id')}"
        original = check_text(results.get('expression'), f'{where} expression')
        rng = sample_rng(results.get('sample_idx'), 'wsrvos-expressions') \
            or random
        P, N = self.num_positives, self.num_negatives
        if self.positive_source == 'original':
            texts, confs = [original], [1.0]
        else:
            texts = list(self._get(results, 'positive_texts', where))
            confs = list(self._get(results, 'positive_confidences', where))
            if len(texts) != len(confs):
                raise ValueError(
                    f'{where}: {len(texts)} positive_texts but {len(confs)} '
                    'positive_confidences; regenerate the expression file.')
            texts = [check_text(t, f'{where} positive_texts') for t in texts]
            if not texts:  # every description failed c_k > 0.8: the
                # original expression (Tab. 4 "w/o CREA positives" row)
                texts, confs = [original], [1.0]
        if len(texts) > P:
            keep = rng.sample(range(len(texts)), P)
            texts, confs = [texts[i] for i in keep], [confs[i] for i in keep]
        results['positive_texts'], results['positive_confidences'] = \
            fill_positives(texts, confs, P)
        if self.negative_source == 'other_samples':
            results['negative_texts'] = None
            return results
        pool = [check_text(t, f'{where} negative_texts')
                for t in self._get(results, 'negative_texts', where)]
        if len(pool) > N:
            pool = rng.sample(pool, N)
        results['negative_texts'] = pool
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_positives='
                f'{self.num_positives}, num_negatives={self.num_negatives}, '
                f'positive_source={self.positive_source!r}, '
                f'negative_source={self.negative_source!r})')


@TRANSFORMS.register_module()
class WSRVOSShuffleExpressionSlots(BaseTransform):
    """Lever (WSRVOS_PITFALLS.md): a random order of the P + N slots.

    Required Keys: ``sample_idx`` (optional, the per-sample generator of
    ``rvos_plugin.utils.sample_rng``).

    Added Keys: ``slot_order`` (list[int], a
    permutation of ``range(P + N)``: slot j holds expression
    ``slot_order[j]`` of ``positives + negatives + padding``). List it in
    ``PackRVOSInputs(algorithm_keys=...)``.

    Args:
        num_slots (int): P + N.
    """

    def __init__(self, num_slots: int) -> None:
        self.num_slots = num_slots

    def transform(self, results: dict) -> dict:
        order = list(range(self.num_slots))
        rng = sample_rng(results.get('sample_idx'), 'wsrvos-slots') or random
        rng.shuffle(order)
        results['slot_order'] = order
        return results
