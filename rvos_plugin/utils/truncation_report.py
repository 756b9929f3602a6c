"""One warning per run for expressions cut to a tokenizer's limit.

The first truncation logs a warning (with the expression's token count and
the limit); every later one is only counted, and the total is logged once
when the process exits: ``<owner>: N of M expressions were longer than
max_length=L tokens and were truncated``.
"""
import atexit
import warnings
from typing import Dict


class TruncationCounter:
    """Counts truncated expressions of one component in this process.

    Args:
        owner (str): Component name used in the messages.
        max_length (int): The token limit.
    """

    _instances: Dict[str, 'TruncationCounter'] = {}

    def __init__(self, owner: str, max_length: int) -> None:
        self.owner = owner
        self.max_length = max_length
        self.truncated = 0
        self.seen = 0
        self.warned = False

    @classmethod
    def get(cls, owner: str, max_length: int) -> 'TruncationCounter':
        """The process-wide counter of ``owner``/``max_length``."""
        key = f'{owner}@{max_length}'
        if key not in cls._instances:
            cls._instances[key] = cls(owner, max_length)
        return cls._instances[key]

    def record(self, num_seen: int, lengths_over: list,
               example: str = '') -> None:
        """Count a batch; warn at the first truncation of the run.

        Args:
            num_seen (int): Expressions in the batch.
            lengths_over (list[int]): Token counts of the truncated ones.
            example (str): One truncated expression (shortened in the
                message).
        """
        self.seen += num_seen
        if not lengths_over:
            return
        self.truncated += len(lengths_over)
        if self.warned:
            return
        self.warned = True
        msg = (f'{self.owner}: an expression of {max(lengths_over)} tokens '
               f'is longer than max_length={self.max_length} and is '
               f'truncated ({example[:60]!r}...). This is warned once per '
               'run; the number of truncated expressions is logged at '
               'exit. Raise max_length or shorten the expressions.')
        warnings.warn(msg, stacklevel=3)
        _log(msg, 30)
        atexit.register(self.summary)

    def summary(self) -> str:
        """Log and return the run's count."""
        msg = (f'{self.owner}: {self.truncated} of {self.seen} expressions '
               f'were longer than max_length={self.max_length} tokens and '
               'were truncated.')
        _log(msg, 30)
        return msg


def _log(msg: str, level: int) -> None:
    try:
        from mmengine.logging import print_log
        print_log(msg, logger='current', level=level)
    except Exception:  # never let logging break training
        print(msg)
