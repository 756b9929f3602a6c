"""Attach the offline CREA expressions (WSRVOS Sec. 3.2) to a training sample.

The expression generation tool (and the released code) write one JSON keyed
``<prefix>:<video_id>:<exp_id>`` -> ``{"positive_texts": [...],
"positive_confidences": [...], "negative_texts": [...]}``.
"""
import json
import os
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
                f'WSRVOS expression file not found: {ann_file!r} (relative '
                f'paths are read from {os.getcwd()!r}). Generate it with '
                '`python tools/expression_generation/generate_expressions.py '
                f'--dataset <ref-ytvos|a2d|mevis> --data-root <root> --out '
                f'{ann_file}` (docs/datasets.md, "WSRVOS expressions") or set '
                'expression_file in the config.')
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


@TRANSFORMS.register_module()
class LoadWSRVOSObjectAttributes(BaseTransform):
    """Attach the text attributes of a video's objects (no masks, no boxes).

    Used only to decide which *other* videos of a batch cannot contain the
    referent of an expression (the "absent" side of the presence contrast,
    WSRVOS_PITFALLS.md). Reads ``objects.json`` of the synthetic set
    (``{"videos": {video_id: {"objects": [{"colour", "shape", "size",
    "motion", ...}]}}}``) and keeps the attribute words only.

    Required Keys:
        - video_id

    Added Keys:
        - object_attributes (list[dict[str, str]]): one dict per object with
          the keys of ``attribute_keys``.
        - object_vocabulary (dict[str, list[str]]): every value of each key
          in the file (a word of the vocabulary that no object of a video
          has is evidence that the referent is absent from it).

    List ``object_attributes`` and ``object_vocabulary`` in
    ``PackRVOSInputs(algorithm_keys=...)``.

    Args:
        objects_file (str): Path of ``objects.json``.
        attribute_keys (tuple[str]): Attribute words to keep.
    """

    def __init__(self,
                 objects_file: str,
                 attribute_keys=('colour', 'shape', 'size', 'motion')) -> None:
        if not osp.isfile(objects_file):
            raise FileNotFoundError(
                f'objects file not found: {objects_file!r}. It is written by '
                'tools/dataset_converters/make_synthetic_rvos.py next to '
                'meta_expressions.json; regenerate the set or fix the path.')
        self.objects_file = objects_file
        self.attribute_keys = tuple(attribute_keys)
        with open(objects_file) as f:
            table = json.load(f)
        if 'videos' not in table:
            raise KeyError(f'{objects_file!r} has no top-level "videos" key')
        self.table = table['videos']
        vocab = {a: set() for a in self.attribute_keys}
        for video in self.table.values():
            for obj in video.get('objects', []):
                for a in self.attribute_keys:
                    if a in obj:
                        vocab[a].add(str(obj[a]))
        self.vocabulary = {a: sorted(v) for a, v in vocab.items()}

    def transform(self, results: dict) -> dict:
        vid = results['video_id']
        if vid not in self.table:
            raise KeyError(f'video {vid!r} is missing from '
                           f'{self.objects_file}; regenerate the objects file '
                           'for this split.')
        attrs = []
        for k, obj in enumerate(self.table[vid].get('objects', [])):
            missing = [a for a in self.attribute_keys if a not in obj]
            if missing:
                raise KeyError(f'{self.objects_file}: object {k} of video '
                               f'{vid!r} has no {missing}')
            attrs.append({a: str(obj[a]) for a in self.attribute_keys})
        results['object_attributes'] = attrs
        results['object_vocabulary'] = self.vocabulary
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'objects_file={self.objects_file!r})')
