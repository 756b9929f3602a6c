"""WSRVOS (text-supervised RVOS) project package: registers its modules."""
from . import (feature_selection, hooks, interaction,  # noqa: F401
               pseudo_mask, similarity, transforms, wsrvos)
