from . import trivial_predictor  # noqa: F401
