"""Expression slots of a training batch as tensors (no randomness).

The pipeline (``sampling.py``) has drawn each sample's P positives and at
most N negatives; this module lays them out as the P + N slots of Sec. 3.4:
positives first, then negatives, then padding (the first positive, marked
invalid), optionally permuted by ``slot_order`` (lever).
"""
from typing import List

import torch

#: metainfo keys the loss path may read (nothing else, never ``gt_*``).
TRAIN_META_KEYS = ('video_id', 'exp_id', 'expression', 'positive_texts',
                   'positive_confidences', 'negative_texts', 'slot_order',
                   'object_attributes', 'object_vocabulary')


def _meta(sample, key: str):
    meta = sample.metainfo
    if key not in meta:
        raise KeyError(
            f'WSRVOS training needs {key!r} in the metainfo of sample '
            f"{meta.get('video_id')}:{meta.get('exp_id')}; put "
            'LoadWSRVOSExpressions and WSRVOSSampleExpressions in the train '
            "pipeline and list 'positive_texts', 'positive_confidences', "
            "'negative_texts' in PackRVOSInputs(algorithm_keys=...).")
    return meta[key]


def expression_slots(data_samples: List, num_positives: int,
                     num_negatives: int, device=None) -> dict:
    """P positive + N negative slots per sample.

    Args:
        data_samples (list): Training ``TrackDataSample`` s.
        num_positives (int): P.
        num_negatives (int): N.
        device: Device of the returned tensors.

    Returns:
        dict: ``texts`` list (B) of lists (E = P + N), ``labels`` (B, E)
        float, ``valid`` (B, E) bool, ``positive`` (B, E) bool,
        ``confidences`` (B, P) float, ``pos_index`` (B, P) long.
    """
    P, N = num_positives, num_negatives
    E = P + N
    texts, labels, valid, confs, pos_index = [], [], [], [], []
    for sample in data_samples:
        where = (f"{sample.metainfo.get('video_id')}:"
                 f"{sample.metainfo.get('exp_id')}")
        pos = list(_meta(sample, 'positive_texts'))
        conf = [float(c) for c in _meta(sample, 'positive_confidences')]
        neg = _meta(sample, 'negative_texts')
        if neg is None:
            raise ValueError(
                f'sample {where}: negative_texts is None (negative_source='
                "'other_samples'); add dict(type='WSRVOSNegativeBankHook') "
                'to custom_hooks.')
        if len(pos) != P or len(conf) != P or len(neg) > N:
            raise ValueError(
                f'sample {where}: {len(pos)} positives / {len(conf)} '
                f'confidences / {len(neg)} negatives, the model expects '
                f'{P} / {P} / <= {N}; set WSRVOSSampleExpressions('
                'num_positives, num_negatives) as the model.')
        slot_texts = pos + list(neg) + [pos[0]] * (N - len(neg))
        lab = [1.0] * P + [0.0] * N
        val = [True] * (P + len(neg)) + [False] * (N - len(neg))
        order = list(sample.metainfo.get('slot_order', range(E)))
        if sorted(order) != list(range(E)):
            raise ValueError(f'sample {where}: slot_order is not a '
                             f'permutation of range({E})')
        texts.append([slot_texts[i] for i in order])
        labels.append([lab[i] for i in order])
        valid.append([val[i] for i in order])
        inv = {o: j for j, o in enumerate(order)}
        pos_index.append([inv[k] for k in range(P)])
        confs.append(conf)
    labels = torch.tensor(labels, device=device)
    return dict(
        texts=texts,
        labels=labels,
        valid=torch.tensor(valid, device=device),
        positive=labels.bool(),
        confidences=torch.tensor(confs, device=device),
        pos_index=torch.tensor(pos_index, device=device, dtype=torch.long))
