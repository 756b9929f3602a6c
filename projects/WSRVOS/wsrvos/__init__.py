"""WSRVOS (text-supervised RVOS) project package: registers its modules."""
from . import (feature_selection, hooks, interaction,  # noqa: F401
               presence, pseudo_mask, sampling, similarity, transforms,
               wsrvos)
