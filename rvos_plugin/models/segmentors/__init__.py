from . import supervised_rvos  # noqa: F401
from . import trivial_predictor  # noqa: F401
