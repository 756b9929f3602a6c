"""What ReVIOsA's MLLM reads: training conversations (Table 6 token modes),
their padded token batches, and the frames it sees at inference."""
import random
from typing import List, Optional, Sequence

import numpy as np
import torch

from rvos_plugin.utils.sample_rng import sample_rng
from . import prompt_templates as pt

FRAME_POLICIES = ('first', 'uniform')


def select_mllm_frames(num_frames: int, k: int, policy: str) -> List[int]:
    """Frames the MLLM sees at inference: ``'first'`` k (released code,
    k=5) or ``'uniform'``, ``round(linspace(0, T-1, k))`` (what users report
    works better). Fewer when the video is shorter than k."""
    if policy not in FRAME_POLICIES:
        raise ValueError(f'frame_policy must be one of {FRAME_POLICIES}, got '
                         f'{policy!r}.')
    if num_frames < 1:
        raise ValueError('a video needs at least one frame.')
    k = min(k, num_frames)
    if policy == 'first':
        return list(range(k))
    return sorted(set(np.round(np.linspace(0, num_frames - 1,
                                           k)).astype(int).tolist()))


def training_conversations(meta: dict, token_mode: str, actor_token: str,
                           target_token: Optional[str], rng: random.Random,
                           postfix_prob: float, target_query: str,
                           no_target_answer: str) -> List[dict]:
    """Conversation(s) of one training sample.

    Args:
        meta (dict): sample metainfo with ``expression`` and ``has_target``.
        token_mode (str): ``'joint'`` (one answer with both tokens for
            unidirectional expressions), ``'independent'`` (a second
            conversation asks for the target) or ``'single'``.
        rng (random.Random): template / postfix draws when no per-sample
            generator exists. With ``RVOSEpochSeedHook`` (every config) they
            come from the sample's own generator (seed, iteration,
            ``meta['sample_idx']``; ``rvos_plugin.utils.sample_rng``), so 2
            processes of batch 1 phrase a sample as 1 process of batch 2.

    Returns:
        list[dict]: ``question, answer, actor (bool), target (bool)``;
        ``target`` is True only when the target mask is supervised.
    """
    has_target = bool(meta.get('has_target', False))
    rng = sample_rng(meta.get('sample_idx'), 'reviosa-question') or rng
    question = pt.build_question(meta['expression'], rng, postfix_prob)
    actor_only = pt.build_answer(False, actor_token, None)
    if token_mode == 'single':
        return [dict(question=question, actor=True, target=False,
                     answer=actor_only)]
    if token_mode == 'joint':
        return [dict(question=question, actor=True, target=has_target,
                     answer=pt.build_answer(has_target, actor_token,
                                            target_token))]
    return [
        dict(question=question, actor=True, target=False, answer=actor_only),
        dict(question=f'{question} {target_query}', actor=False,
             target=has_target,
             answer=(pt.ACTOR_ANSWER.format(act=target_token)
                     if has_target else no_target_answer)),
    ]


def pad_batch(seqs: Sequence[List[int]], labels: Sequence[List[int]],
              pad_id: int, left: bool, device) -> tuple:
    """Pad token sequences to one batch.

    Args:
        seqs (Sequence[list[int]]): token ids per sequence.
        labels (Sequence[list[int]]): LM labels (-100 = ignored), same
            lengths.
        pad_id (int): padding token id.
        left (bool): pad on the left (else on the right).

    Returns:
        tuple[Tensor]: ``ids``, ``labels``, ``attention_mask`` and
        ``position_ids``, each (S, L); positions count real tokens only.
    """
    length = max(len(s) for s in seqs)
    ids, lab, mask = [], [], []
    for s, lb in zip(seqs, labels):
        n = length - len(s)
        pad, ign, one = [pad_id] * n, [-100] * n, [1] * len(s)
        ids.append(pad + list(s) if left else list(s) + pad)
        lab.append(ign + list(lb) if left else list(lb) + ign)
        mask.append([0] * n + one if left else one + [0] * n)
    mask = torch.tensor(mask, device=device)
    pos = (mask.cumsum(1) - 1).clamp_min(0)
    return (torch.tensor(ids, device=device),
            torch.tensor(lab, device=device), mask, pos)
