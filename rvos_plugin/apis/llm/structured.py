"""Getting validated structured answers out of a model.

Models wrap JSON in prose or code fences, drop keys or invent labels. The
tools therefore never trust an answer: :func:`query_json` extracts the JSON,
validates it against a JSON schema (``jsonschema``) and an optional semantic
check, and on failure re-asks with the error appended to the chat.
"""
import json
import re
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .base import LLMBackend, Message

_FENCE = re.compile(r'```(?:json|JSON)?\s*(.*?)```', re.DOTALL)


class AnswerValidationError(ValueError):
    """The model's answer stayed invalid after every attempt.

    Attributes:
        answers: the raw answers received, in order.
    """

    def __init__(self, message: str, answers: List[str]):
        super().__init__(message)
        self.answers = answers


def extract_json(text: str) -> Any:
    """Parse the first JSON object/array in a model answer.

    Accepts bare JSON, JSON inside a ```json fence, or JSON surrounded by
    prose; tolerates trailing commas (a frequent model mistake).

    Raises:
        ValueError: when no parseable JSON value is found.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError('empty answer')
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for cand in candidates:
        for start, ch in enumerate(cand):
            if ch not in '{[':
                continue
            for variant in (cand[start:],
                            re.sub(r',(\s*[}\]])', r'\1', cand[start:])):
                try:
                    value, _ = decoder.raw_decode(variant)
                    return value
                except json.JSONDecodeError:
                    continue
    raise ValueError(f'no JSON object found in the answer: {text[:200]!r}')


def validate_schema(value: Any, schema: dict) -> None:
    """Raise ``ValueError`` with the best jsonschema error message."""
    import jsonschema
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: e.path)
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        where = '/'.join(str(p) for p in err.absolute_path) or '<root>'
        raise ValueError(f'schema violation at {where}: {err.message}')


def query_json(backend: LLMBackend,
               messages: List[Message],
               schema: dict,
               images: Optional[Sequence[np.ndarray]] = None,
               metadata: Optional[dict] = None,
               max_attempts: int = 3,
               parse: Callable[[str], Any] = extract_json,
               check: Optional[Callable[[Any], None]] = None,
               **gen_kwargs) -> Tuple[Any, int]:
    """Ask until the answer parses, matches ``schema`` and passes ``check``.

    On an invalid answer the chat is extended with the answer (assistant) and
    a user turn naming the error, then the backend is asked again.

    Args:
        backend: any :class:`LLMBackend`.
        messages: the chat.
        schema: JSON schema the parsed answer must satisfy.
        images: frames for the last user turn.
        metadata: request description (used by offline backends).
        max_attempts: total calls allowed.
        parse: answer text -> value (default :func:`extract_json`).
        check: extra semantic validation raising ``ValueError``.

    Returns:
        (value, number of backend calls made).

    Raises:
        AnswerValidationError: when every attempt failed.
    """
    chat = list(messages)
    answers, errors = [], []
    for attempt in range(1, max_attempts + 1):
        meta = dict(metadata or {}, attempt=attempt)
        answer = backend.generate(chat, images=images, metadata=meta,
                                  **gen_kwargs)
        answers.append(answer)
        try:
            value = parse(answer)
            validate_schema(value, schema)
            if check is not None:
                check(value)
            return value, attempt
        except ValueError as err:
            errors.append(str(err))
            chat = chat + [
                {'role': 'assistant', 'content': answer or '(empty)'},
                {'role': 'user',
                 'content': f'Your answer was invalid: {err}. Answer again, '
                            'following the required output format exactly '
                            '(JSON only, no extra text).'}]
    raise AnswerValidationError(
        f'no valid answer after {max_attempts} attempts; errors: {errors}',
        answers)
