"""Attach the offline CREA expressions (WSRVOS Sec. 3.2) to a training sample.

The expression generation tool (and the released code) write one JSON keyed
``<prefix>:<video_id>:<exp_id>`` -> ``{"positive_texts": [...],
"positive_confidences": [...], "negative_texts": [...]}``.
"""
import json
import os.path as osp
from typing import Dict

from mmcv.transforms import BaseTransform

from rvos_plugin.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadWSRVOSExpressions(BaseTransform):
    """Look up the generated positives/negatives of a (video, expression).

    Required Keys:
        - video_id
        - exp_id

    Added Keys:
        - positive_texts (list[str])
        - positive_confidences (list[float]): c_k of Eq. (1)
        - negative_texts (list[str])

    List the three added keys in ``PackRVOSInputs(algorithm_keys=...)``.

    Args:
        ann_file (str): The expression JSON.
        prefix (str): Key prefix (``'ytvos'``, ``'a2d'``, ``'synthetic'``).
    """

    KEYS = ('positive_texts', 'positive_confidences', 'negative_texts')

    def __init__(self, ann_file: str, prefix: str) -> None:
        if not osp.isfile(ann_file):
            raise FileNotFoundError(
                f'WSRVOS expression file not found: {ann_file!r}. Generate it '
                'with tools/expression_generation (or download the released '
                'JSON) and set LoadWSRVOSExpressions.ann_file.')
        self.ann_file = ann_file
        self.prefix = prefix
        with open(ann_file) as f:
            self.table: Dict[str, dict] = json.load(f)

    def transform(self, results: dict) -> dict:
        key = f"{self.prefix}:{results['video_id']}:{results['exp_id']}"
        if key not in self.table:
            raise KeyError(
                f'{key!r} is missing from {self.ann_file}; regenerate the '
                'expression file for this split (or check the prefix).')
        entry = self.table[key]
        for k in self.KEYS:
            if k not in entry:
                raise KeyError(f'{key!r} in {self.ann_file} has no {k!r}')
        texts, confs = entry['positive_texts'], entry['positive_confidences']
        if len(texts) != len(confs):
            raise ValueError(
                f'{key!r} in {self.ann_file}: {len(texts)} positive_texts vs '
                f'{len(confs)} positive_confidences')
        for k in ('positive_texts', 'negative_texts'):
            for t in entry[k]:
                if not isinstance(t, str) or not t.strip():
                    raise ValueError(f'{key!r} in {self.ann_file}: empty '
                                     f'text in {k}')
        results['positive_texts'] = list(texts)
        results['positive_confidences'] = [float(c) for c in confs]
        results['negative_texts'] = list(entry['negative_texts'])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(ann_file={self.ann_file!r}, '
                f'prefix={self.prefix!r})')
