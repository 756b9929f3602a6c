"""Shared pieces of the equivalence scripts (not a package module: each
script puts this folder on ``sys.path``).

Only *import-level* pieces the authors' code needs and we do not install are
stubbed, and only in the running script's ``sys.modules`` (never in the
``rvos_plugin`` package); each stub says what it replaces.
"""
import importlib.machinery
import os.path as osp
import sys
import types
from typing import Dict, List, Tuple

import torch

#: the repository root, importable (``projects.*``) however the script is run
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

TOLERANCE = 1e-4


def stub_module(name: str, **attrs) -> types.ModuleType:
    """Register an empty module (with a spec, so ``find_spec`` works) unless
    the real one is importable."""
    try:
        return __import__(name, fromlist=['_'])
    except ImportError:
        pass
    parent = None
    parts = name.split('.')
    for i in range(1, len(parts) + 1):
        sub = '.'.join(parts[:i])
        if sub not in sys.modules:
            mod = types.ModuleType(sub)
            mod.__spec__ = importlib.machinery.ModuleSpec(sub, None)
            mod.__path__ = []
            sys.modules[sub] = mod
            if parent is not None:
                setattr(parent, parts[i - 1], mod)
        parent = sys.modules[sub]
    for key, value in attrs.items():
        setattr(parent, key, value)
    return parent


class IdentityDropPath(torch.nn.Module):
    """Stands in for ``timm.models.layers.DropPath`` (drop_path_rate=0 in
    every model compared here, where DropPath is the identity)."""

    def __init__(self, drop_prob: float = 0.0):
        super().__init__()
        if drop_prob:
            raise ValueError('the DropPath stub only supports drop_prob=0')

    def forward(self, x):
        return x


class Comparison:
    """Collects ``max |a - b|`` per named tensor and prints a table."""

    def __init__(self, title: str, tol: float = TOLERANCE):
        self.title = title
        self.tol = tol
        self.rows: List[Tuple[str, tuple, float]] = []

    def add(self, name: str, ours: torch.Tensor, theirs: torch.Tensor):
        ours, theirs = ours.detach().float(), theirs.detach().float()
        if ours.shape != theirs.shape:
            raise AssertionError(f'{name}: shape {tuple(ours.shape)} (ours) '
                                 f'!= {tuple(theirs.shape)} (theirs)')
        diff = (ours - theirs).abs().max().item() if ours.numel() else 0.0
        scale = theirs.abs().max().item() if theirs.numel() else 0.0
        self.rows.append((name, tuple(ours.shape), diff, scale))
        return diff

    def report(self) -> bool:
        print(f'\n== {self.title} (fp32, tolerance {self.tol:g}) ==')
        print(f'{"tensor":48s} {"shape":24s} {"max |diff|":>12s} '
              f'{"max |theirs|":>12s}  ok')
        ok = True
        for name, shape, diff, scale in self.rows:
            # a reference that is itself below the tolerance proves nothing
            # (an all-zero output would match anything): reported, not ok,
            # unless it is an exact match of integer-like data
            vacuous = scale <= self.tol and diff != 0.0
            good = diff <= self.tol and not vacuous
            ok &= good
            verdict = 'yes' if good else ('NO (reference ~0)' if vacuous
                                          else 'NO')
            print(f'{name:48s} {str(shape):24s} {diff:12.3e} {scale:12.3e}  '
                  f'{verdict}')
        return ok


def jsonable(obj):
    """torch dtypes (left in nested config dicts) -> their names."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, torch.dtype):
        return str(obj).replace('torch.', '')
    return obj


def summary(results: Dict[str, bool]) -> int:
    """Print the verdict; exit code 0 only if every comparison passed."""
    print()
    for name, ok in results.items():
        print(f'{name}: {"PASS" if ok else "FAIL"}')
    return 0 if all(results.values()) else 1
