"""Failure budget of a long annotation run.

A run with a failure budget goes on past single failures (each logged to
``failures.jsonl``) until more than ``max_failures`` items have failed, then
stops at once (:class:`FailureBudgetExceeded`) instead of spending hours on
a backend that answers nothing usable. A backend that cannot be reached at
all raises :class:`~rvos_plugin.apis.llm.base.BackendUnavailableError`
straight away.
"""
from typing import Optional


class FailureBudgetExceeded(RuntimeError):
    """More items failed than the run allows."""


class FailureBudget:
    """Counts failed items; raises once the count exceeds the budget.

    Args:
        max_failures (int, optional): Failures tolerated; ``None`` for no
            limit. ``0`` stops at the first failure.
        failures_file (str): Where failures are logged (for the message).
    """

    def __init__(self, max_failures: Optional[int],
                 failures_file: str = 'failures.jsonl') -> None:
        if max_failures is not None and max_failures < 0:
            raise ValueError(f'max_failures must be >= 0, got {max_failures}')
        self.max_failures = max_failures
        self.failures_file = failures_file
        self.count = 0
        self.last_error = ''

    def record(self, stage: str, key: str, error: BaseException) -> None:
        """Count one failure; raise when over budget.

        Raises:
            FailureBudgetExceeded: ``count > max_failures``.
        """
        self.count += 1
        self.last_error = f'{stage} {key}: {type(error).__name__}: {error}'
        if self.max_failures is not None and self.count > self.max_failures:
            raise FailureBudgetExceeded(
                f'{self.count} items failed, more than --max-failures '
                f'{self.max_failures}; stopping. Last failure: '
                f'{self.last_error[:300]}. All failures: '
                f'{self.failures_file}. Fix the cause (backend, model, '
                'prompt) and rerun: finished items are cached and skipped.')
