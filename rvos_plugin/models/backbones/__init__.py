from . import efficientnet_lite  # noqa: F401
