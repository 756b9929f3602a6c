from . import dice_loss  # noqa: F401
from . import sigmoid_bce_loss  # noqa: F401
