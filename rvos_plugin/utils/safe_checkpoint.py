"""Checkpoint loading that never runs code from the file.

Every checkpoint this project reads goes through :func:`load_checkpoint_file`:
``torch.load(weights_only=True)`` with an allowlist of exactly the Python
objects that mmengine's and this project's checkpoints contain (measured on
``epoch_N.pth`` / ``iter_N.pth`` of the baseline, WSRVOS and ReVIOsA
configs, with and without ``EMAHook``; ``torch.serialization.
get_unsafe_globals_in_checkpoint`` lists them):

* ``mmengine.logging.HistoryBuffer`` (the message hub's log buffers), whose
  pickled ``_statistics_methods`` are bound methods rebuilt by
  ``getattr(buffer, 'mean')``: instead of the builtin ``getattr`` (which would
  reach any attribute of any allowed object), a restricted getattr is
  registered under the name ``builtins.getattr`` that only returns a
  registered statistics method of a ``HistoryBuffer``;
* numpy arrays and scalars (``ndarray``, ``_reconstruct``, ``scalar``,
  ``dtype`` and the numeric/bool dtype classes) in the message hub.

Anything else (a ``__reduce__`` payload, an arbitrary class) is refused with
an error that names the file and the refused global. A foreign checkpoint
that really needs unpickling can be loaded with ``trust_pickle=True`` (the
converters' ``--trust-pickle`` flag, the environment variable
``RVOS_TRUST_PICKLE=1`` for train/test): that runs the file's pickle, so only
for files you trust.
"""
import os
import pickle
import zipfile
from typing import Any, List, Optional

TRUST_PICKLE_ENV = 'RVOS_TRUST_PICKLE'


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a Python object outside the allowlist."""


class CheckpointReadError(RuntimeError):
    """A checkpoint file is truncated, corrupt or not a torch checkpoint."""


# HistoryBuffer's own statistics (registered lazily by its __init__)
_BUILTIN_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to a HistoryBuffer's statistics methods.

    Args:
        obj: ``HistoryBuffer`` or one of its instances.
        name (str): ``min``/``max``/``current``/``mean`` or a method
            registered with ``HistoryBuffer.register_statistics``.

    Returns:
        The bound statistics method.

    Raises:
        UnsafeCheckpointError: For any other object or attribute.
    """
    from mmengine.logging import HistoryBuffer
    is_buffer = obj is HistoryBuffer or isinstance(obj, HistoryBuffer)
    allowed = _BUILTIN_STATISTICS | set(HistoryBuffer._statistics_methods)
    if is_buffer and isinstance(name, str) and name in allowed:
        return getattr(obj, name)
    raise UnsafeCheckpointError(
        f'refused getattr({type(obj).__name__}, {name!r}) while unpickling: '
        'only HistoryBuffer statistics methods are allowed')


def checkpoint_safe_globals() -> List[Any]:
    """The allowlist for ``torch.serialization.safe_globals``.

    Returns:
        list: Classes/functions, and ``(callable, 'module.name')`` pairs.
    """
    import numpy as np
    from mmengine.logging import HistoryBuffer
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = sorted({
        type(np.dtype(t))
        for t in ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8',
                  'uint16', 'uint32', 'uint64', 'float16', 'float32',
                  'float64', 'complex64', 'complex128')
    }, key=lambda c: c.__name__)
    return [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        np.ndarray,
        np.dtype,
        _reconstruct,
        scalar,
    ] + dtype_classes


def trust_pickle_from_env() -> bool:
    """Whether ``RVOS_TRUST_PICKLE`` asks for unrestricted unpickling."""
    return os.environ.get(TRUST_PICKLE_ENV, '0').lower() in ('1', 'true',
                                                             'yes')


def load_checkpoint_file(path: str,
                         map_location: Any = 'cpu',
                         trust_pickle: Optional[bool] = None,
                         what: str = 'checkpoint') -> Any:
    """Load a ``.pth`` file with ``weights_only=True`` and the allowlist.

    Args:
        path (str): The file.
        map_location: As for ``torch.load``.
        trust_pickle (bool, optional): Load with ``weights_only=False``
            (runs the file's pickle). ``None`` reads ``RVOS_TRUST_PICKLE``.
        what (str): What the file is, for error messages.

    Returns:
        The unpickled object (usually a dict).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafeCheckpointError: The file needs a global outside the allowlist.
        CheckpointReadError: The file is truncated, corrupt or not a torch
            checkpoint.
    """
    import torch
    path = os.path.expanduser(str(path))
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f'{what} file not found: {path!r}. Check the path given '
            '(load_from / --resume / the checkpoint argument / pretrained).')
    if trust_pickle is None:
        trust_pickle = trust_pickle_from_env()
    if os.path.getsize(path) == 0:
        raise CheckpointReadError(
            f'{what} {path!r} is empty (0 bytes): an interrupted save or '
            'download. Re-download it or pick an earlier checkpoint.')
    try:
        if trust_pickle:
            return torch.load(path, map_location=map_location,
                              weights_only=False)
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(path, map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as err:
        msg = _weights_unpickler_detail(str(err))
        if 'Unsupported global' in msg or 'is blocked' in msg:
            refused = _refused_global(msg)
            raise UnsafeCheckpointError(
                f'{what} {path!r} was refused: it needs the Python object '
                f'{refused}, which is not in the checkpoint allowlist '
                '(rvos_plugin/utils/safe_checkpoint.py); loading it would '
                'run code from the file. If you trust the file, set '
                "RVOS_TRUST_PICKLE=1 (or the tool's --trust-pickle); better, "
                're-save its state_dict as plain tensors.') from None
        if 'refused getattr' in msg:
            raise UnsafeCheckpointError(
                f'{what} {path!r} was refused: {msg}. Only load files you '
                'trust; to unpickle it anyway set RVOS_TRUST_PICKLE=1 (or '
                "the tool's --trust-pickle).") from None
        raise CheckpointReadError(_corrupt_message(what, path, msg)) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError,
            KeyError, OSError) as err:
        raise CheckpointReadError(_corrupt_message(what, path,
                                                   str(err))) from None


def _weights_unpickler_detail(msg: str) -> str:
    """The specific part of torch's long weights-only message."""
    marker = 'WeightsUnpickler error:'
    if marker in msg:
        rest = msg.split(marker, 1)[1].strip()
        return rest.split('\n\n')[0].strip()
    return msg


def _refused_global(msg: str) -> str:
    """Pull ``GLOBAL a.b`` out of torch's weights-only message."""
    import re
    match = re.search(r'Unsupported global: GLOBAL ([\w.]+)', msg)
    if match:
        return match.group(1)
    match = re.search(r'GLOBAL ([\w.]+)', msg)
    return match.group(1) if match else msg[:200]


def _corrupt_message(what: str, path: str, msg: str) -> str:
    first = msg.strip().splitlines()[0][:200] if msg.strip() else ''
    return (f'{what} {path!r} ({os.path.getsize(path)} bytes) cannot be '
            f'read: it is truncated, corrupt or not a torch checkpoint '
            f'({first}). Re-download / re-save it, or use an earlier '
            'checkpoint.')
