"""Model backends shared by the MLLM-driven annotation tools.

Import what you need from the submodules; heavy libraries (transformers) are
imported only when a backend is built.
"""
from .base import (BackendError, BackendUnavailableError, LLMBackend,
                   Message, image_to_data_url)
from .budget import FailureBudget, FailureBudgetExceeded
from .factory import build_backend
from .persistence import FailureLog, JsonlCache, atomic_write_json
from .structured import AnswerValidationError, extract_json, query_json

__all__ = [
    'BackendError', 'BackendUnavailableError', 'FailureBudget',
    'FailureBudgetExceeded', 'LLMBackend', 'Message', 'image_to_data_url',
    'build_backend', 'FailureLog', 'JsonlCache', 'atomic_write_json',
    'AnswerValidationError', 'extract_json', 'query_json'
]
