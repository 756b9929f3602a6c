"""Fixtures of the robustness (fuzz) suite (helpers in _robust_utils.py)."""
from _robust_utils import split_copy, valid_split  # noqa: F401
