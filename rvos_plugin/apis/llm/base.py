"""The backend protocol shared by the MLLM-driven annotation tools.

A backend turns a chat (OpenAI-style ``messages``) plus optional images into
one text answer. Every tool (WSRVOS expression augmentation, the InterRVOS
annotation pipeline) talks to models only through :class:`LLMBackend`, so
the same tool runs against an OpenAI-compatible server, a local transformers
model or a deterministic offline oracle.
"""
import base64
from typing import Any, Dict, List, Optional, Protocol, Sequence, runtime_checkable

import numpy as np

Message = Dict[str, Any]  # {'role': 'system'|'user'|'assistant', 'content': str}


class BackendError(RuntimeError):
    """A backend could not produce an answer (after its own retries)."""


class BackendUnavailableError(BackendError):
    """The backend cannot be reached at all (connection refused, unknown
    host): every further item would fail the same way, so tools stop."""


@runtime_checkable
class LLMBackend(Protocol):
    """What every backend offers.

    ``generate(messages, images=None, **kw) -> str``:

    - ``messages``: list of ``{'role', 'content'}`` dicts, ``content`` a str.
    - ``images``: optional list of HxWx3 uint8 **RGB** arrays (video frames),
      attached to the last user message.
    - ``metadata`` (keyword): a dict describing the request (``task``,
      ``video_id``, object ids...). Model backends ignore it; offline oracle
      backends answer from it.
    - other keywords: generation options (``max_tokens``, ``temperature``).
    """

    name: str

    def generate(self,
                 messages: List[Message],
                 images: Optional[Sequence[np.ndarray]] = None,
                 **kwargs) -> str:
        ...


def validate_messages(messages: List[Message]) -> None:
    """Raise ``ValueError`` naming the bad message when the chat is malformed."""
    if not isinstance(messages, list) or not messages:
        raise ValueError('messages must be a non-empty list of '
                         "{'role': ..., 'content': str} dicts")
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or msg.get('role') not in (
                'system', 'user', 'assistant'):
            raise ValueError(f'messages[{i}] needs a role in '
                             f"('system', 'user', 'assistant'), got {msg!r}")
        if not isinstance(msg.get('content'), str) or not msg['content'].strip():
            raise ValueError(f'messages[{i}] ({msg.get("role")}) has an empty '
                             'or non-string content')


def image_to_data_url(image: np.ndarray, quality: int = 90) -> str:
    """Encode an RGB image as a base64 JPEG data URL.

    Args:
        image: (H, W, 3) uint8 RGB array.
        quality: JPEG quality.

    Returns:
        ``'data:image/jpeg;base64,...'``.
    """
    import cv2
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError('images must be (H, W, 3) uint8 RGB arrays, got '
                         f'shape {image.shape} dtype {image.dtype}')
    ok, buf = cv2.imencode('.jpg', image[:, :, ::-1],
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f'cv2 could not JPEG-encode an image of shape '
                         f'{image.shape}')
    return 'data:image/jpeg;base64,' + base64.b64encode(buf.tobytes()).decode()
