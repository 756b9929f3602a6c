"""Model backends shared by the MLLM-driven annotation tools.

Import what you need from the submodules; heavy libraries (transformers) are
imported only when a backend is built.
"""
from .base import BackendError, LLMBackend, Message, image_to_data_url
from .factory import build_backend
from .persistence import FailureLog, JsonlCache, atomic_write_json
from .structured import AnswerValidationError, extract_json, query_json

__all__ = [
    'BackendError', 'LLMBackend', 'Message', 'image_to_data_url',
    'build_backend', 'FailureLog', 'JsonlCache', 'atomic_write_json',
    'AnswerValidationError', 'extract_json', 'query_json'
]
