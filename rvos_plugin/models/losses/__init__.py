from . import pseudo_mask_losses  # noqa: F401
from . import temporal_ranking_loss  # noqa: F401
from . import dice_loss  # noqa: F401
from . import sigmoid_bce_loss  # noqa: F401
