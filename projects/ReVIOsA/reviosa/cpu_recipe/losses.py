"""Loss terms of the CPU recipe (not in the paper)."""
import torch


def actor_target_overlap_loss(actor_logits: torch.Tensor,
                              target_logits: torch.Tensor,
                              eps: float = 1.0) -> torch.Tensor:
    """Soft Dice overlap between the actor and the target mask of a clip.

    Not in the paper (CPU-scale option, ``loss_overlap_weight``): the actor
    of an interaction is never its target, so the two predicted masks should
    not overlap; the term is 0 for disjoint masks and -> 1 for identical
    ones:

    ``overlap = (2 * sum(p_a * p_t) + 0) / (sum(p_a) + sum(p_t) + eps)``,
    ``p = sigmoid(logits)``, sums over all frames and pixels of the clip.

    Args:
        actor_logits (Tensor): (T, H, W) actor mask logits of one clip.
        target_logits (Tensor): (T, H, W) target mask logits, same clip.
        eps (float): smoothing of the denominator.

    Returns:
        Tensor: scalar overlap in [0, 1).
    """
    if actor_logits.shape != target_logits.shape:
        raise ValueError(f'actor_target_overlap_loss: actor '
                         f'{tuple(actor_logits.shape)} vs target '
                         f'{tuple(target_logits.shape)}.')
    pa = actor_logits.float().sigmoid().flatten()
    pt = target_logits.float().sigmoid().flatten()
    return 2 * (pa * pt).sum() / (pa.sum() + pt.sum() + eps)
