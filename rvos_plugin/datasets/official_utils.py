"""Helpers shared by the readers of the official dataset layouts."""
import os.path as osp
import warnings
from typing import List, Optional

from .expression_text import normalize_expression
from .mevis_dataset import RVOSAnnotationError


class InvalidItemPolicy:
    """Raise on a bad item, or (``skip_invalid=True``) count and skip it.

    Args:
        skip_invalid (bool): Skip bad items (with one warning giving the
            count) instead of raising.
        owner (str): Name used in the warning (dataset class).
    """

    def __init__(self, skip_invalid: bool, owner: str):
        self.skip_invalid = skip_invalid
        self.owner = owner
        self.skipped: List[str] = []

    def invalid(self, message: str,
                error: type = RVOSAnnotationError,
                cause: Optional[BaseException] = None) -> None:
        """Report one bad item: raise ``error(message)`` or record it."""
        if not self.skip_invalid:
            raise error(message + ' (or pass skip_invalid=True to skip such '
                        'items with a warning)') from cause
        self.skipped.append(message)

    def warn_skipped(self) -> None:
        """Emit one warning with the number of skipped items."""
        if self.skipped:
            warnings.warn(
                f'{self.owner}: skipped {len(self.skipped)} invalid item(s) '
                f'(skip_invalid=True); first: {self.skipped[0]}')


def require_file(path: str, what: str, fix: str) -> str:
    """Return ``path`` or raise FileNotFoundError naming it and the fix."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path!r}. {fix}')
    return path


def clean_text(text, source: str, item: str) -> str:
    """Whitespace-normalised expression; empty or non-str raises.

    Raises:
        RVOSAnnotationError: naming ``source`` and ``item``.
    """
    if not isinstance(text, str) or not normalize_expression(text):
        raise RVOSAnnotationError(
            f'{source}: {item} has an empty expression {text!r} (nothing '
            'visible after removing whitespace and zero-width characters); '
            'fix or remove it from the file.')
    return ' '.join(normalize_expression(text).split())


class OfficialLayoutMixin:
    """``prepare_data`` with ``sample_idx`` and the skip policy.

    Subclasses set ``self.policy = InvalidItemPolicy(...)`` before
    ``BaseDataset.__init__`` and call ``self.policy.warn_skipped()`` at the
    end of ``load_data_list``.
    """

    def prepare_data(self, idx: int):
        data_info = self.get_data_info(idx)
        data_info['sample_idx'] = idx
        return self.pipeline(data_info)
