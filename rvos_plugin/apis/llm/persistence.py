"""Crash-safe bookkeeping for long annotation runs.

- :class:`JsonlCache`: one JSON line per finished item, flushed and fsynced,
  so an interrupted run loses at most the item in flight; a rerun skips
  every key already present.
- :class:`FailureLog`: one JSON line per failed item (the run goes on).
- :func:`atomic_write_json`: write-to-temp + ``os.replace``, so an output
  file is either the old or the new complete version, never half written.
"""
import json
import os
import time
import warnings
from typing import Any, Dict, Iterator, Tuple


def atomic_write_json(path: str, obj: Any, indent: int = None) -> None:
    """Write ``obj`` as JSON to ``path`` atomically."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = f'{path}.tmp.{os.getpid()}'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(obj, f, indent=indent, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class JsonlCache:
    """Append-only ``{"key": ..., "value": ...}`` lines; resumable.

    A last line cut by an interruption is ignored with a warning (the item is
    simply redone); a corrupt line elsewhere raises ``ValueError`` naming the
    file and line, since that is not an interruption.

    Args:
        path: the JSONL file (created with its folder when missing).
    """

    def __init__(self, path: str):
        self.path = path
        self._done: Dict[str, Any] = {}
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if os.path.isfile(path):
            self._load()

    def _load(self) -> None:
        with open(self.path, 'r', encoding='utf-8') as f:
            lines = f.read().split('\n')
        while lines and not lines[-1].strip():
            lines.pop()
        for lineno, line in enumerate(lines, 1):
            try:
                rec = json.loads(line)
                key, value = rec['key'], rec['value']
            except (ValueError, KeyError, TypeError) as err:
                if lineno == len(lines):
                    warnings.warn(f'{self.path}: line {lineno} is incomplete '
                                  '(interrupted write); that item will be '
                                  'redone.')
                    self._truncate_last_line(lines[:-1])
                    break
                raise ValueError(
                    f'{self.path}: line {lineno} is not a cache record '
                    f'({err}); delete the line (its item is then redone) or '
                    'the whole file to restart the stage.') from None
            self._done[key] = value

    def _truncate_last_line(self, good_lines) -> None:
        with open(self.path, 'w', encoding='utf-8') as f:
            f.write(''.join(line + '\n' for line in good_lines))

    def __contains__(self, key: str) -> bool:
        return key in self._done

    def __len__(self) -> int:
        return len(self._done)

    def __getitem__(self, key: str) -> Any:
        return self._done[key]

    def items(self) -> Iterator[Tuple[str, Any]]:
        return iter(self._done.items())

    def put(self, key: str, value: Any) -> None:
        """Record a finished item durably (flush + fsync)."""
        line = json.dumps({'key': key, 'value': value}, ensure_ascii=False)
        with open(self.path, 'a', encoding='utf-8') as f:
            f.write(line + '\n')
            f.flush()
            os.fsync(f.fileno())
        self._done[key] = value


class FailureLog:
    """Append ``{"time", "stage", "key", "error", ...}`` lines to a file."""

    def __init__(self, path: str):
        self.path = path
        self.count = 0
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def log(self, stage: str, key: str, error: BaseException,
            **extra) -> None:
        rec = dict(time=time.strftime('%Y-%m-%dT%H:%M:%S'), stage=stage,
                   key=key, error=f'{type(error).__name__}: {error}')
        rec.update(extra)
        with open(self.path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(rec, ensure_ascii=False, default=str) + '\n')
            f.flush()
        self.count += 1
