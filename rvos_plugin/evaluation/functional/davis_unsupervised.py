"""DAVIS unsupervised-task matching (Ref-DAVIS17 protocol of ReferFormer)."""
from typing import Optional, Tuple

import numpy as np

from .davis import jf_per_frame

MAX_PROPOSALS = 20  # davis2017-evaluation: max_n_proposals for unsupervised


def match_objects(scores: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Hungarian assignment maximising the summed score.

    Args:
        scores (np.ndarray): (P, G) mean (J+F)/2 of prediction p vs GT g.

    Returns:
        tuple: (pred indices, gt indices) of the matched pairs.
    """
    from scipy.optimize import linear_sum_assignment
    return linear_sum_assignment(-np.asarray(scores, np.float64))


def unsupervised_jf(gt: np.ndarray, pred: np.ndarray,
                    void: Optional[np.ndarray] = None
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Per-GT-object J and F after matching predicted ids to GT ids.

    As ``_evaluate_unsupervised`` of davis2017-evaluation: all frames,
    void honoured, fewer predictions than GT padded with empty masks,
    assignment on the mean over frames of (J+F)/2.

    Args:
        gt (np.ndarray): (G, T, H, W) GT masks per object.
        pred (np.ndarray): (P, T, H, W) predicted masks per object.
        void (np.ndarray, optional): (T, H, W) void pixels.

    Returns:
        tuple: J (G, T) and F (G, T) of the matched predictions.
    """
    if pred.shape[0] > MAX_PROPOSALS:
        raise ValueError(f'{pred.shape[0]} predicted objects; the DAVIS '
                         f'unsupervised protocol allows {MAX_PROPOSALS}.')
    num_gt = gt.shape[0]
    if pred.shape[0] < num_gt:
        pad = np.zeros((num_gt - pred.shape[0], ) + pred.shape[1:],
                       pred.dtype)
        pred = np.concatenate([pred, pad])
    num_pred, num_frames = pred.shape[0], gt.shape[1]
    j_all = np.zeros((num_pred, num_gt, num_frames))
    f_all = np.zeros((num_pred, num_gt, num_frames))
    for p in range(num_pred):
        for g in range(num_gt):
            j_all[p, g], f_all[p, g] = jf_per_frame(pred[p], gt[g], void)
    rows, cols = match_objects(((j_all + f_all) / 2).mean(-1))
    order = np.argsort(cols)
    return j_all[rows[order], cols[order]], f_all[rows[order], cols[order]]
