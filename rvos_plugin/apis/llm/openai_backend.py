"""A backend for any OpenAI-compatible ``/chat/completions`` server.

Works with the OpenAI API and with local servers that speak the same protocol
(vLLM, LMDeploy, SGLang, Ollama serving Qwen3-VL or Llama-3.1). Plain
``urllib``: no extra dependency.
"""
import errno
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Callable, List, Optional, Sequence

import numpy as np

from .base import (BackendError, BackendUnavailableError, Message,
                   image_to_data_url, validate_messages)

RETRYABLE_STATUS = (408, 409, 425, 429, 500, 502, 503, 504)
UNREACHABLE_ERRNOS = (errno.ECONNREFUSED, errno.EHOSTUNREACH,
                      errno.ENETUNREACH)


def is_unreachable(err: BaseException) -> bool:
    """Connection refused / no route / unknown host (not a slow server)."""
    reason = getattr(err, 'reason', err)
    if isinstance(reason, (ConnectionRefusedError, socket.gaierror)):
        return True
    return isinstance(reason, OSError) and \
        getattr(reason, 'errno', None) in UNREACHABLE_ERRNOS


class OpenAICompatibleBackend:
    """Chat completions over HTTP with retries and exponential back-off.

    The API key is read from the environment variable ``api_key_env`` when a
    request is made; it is never taken from a config and never printed.

    Args:
        base_url: server root, e.g. ``'https://api.openai.com/v1'`` or
            ``'http://127.0.0.1:8000/v1'``; ``/chat/completions`` is appended.
        model: model name the server expects (``'gpt-4o'``,
            ``'Qwen/Qwen3-VL-8B-Instruct'``).
        api_key_env: environment variable holding the key. ``None`` for local
            servers without authentication.
        timeout: seconds per HTTP request.
        max_retries: retries after the first attempt on 429/5xx/timeouts.
        backoff: first back-off in seconds; doubles every retry (capped at
            ``max_backoff``). A ``Retry-After`` header, when larger, wins.
        max_backoff: upper bound of one wait.
        unreachable_retries: retries when the server cannot be reached at
            all (connection refused, unknown host): after these the request
            raises :class:`BackendUnavailableError` (no long back-off).
        default_kwargs: generation options sent with every request
            (``temperature``, ``max_tokens``...).
        sleep: the wait function (injectable for tests).
    """

    name = 'openai'
    #: ``generate`` may run in several threads at once (tools send
    #: concurrent requests to HTTP servers).
    supports_concurrency = True

    def __init__(self,
                 base_url: str,
                 model: str,
                 api_key_env: Optional[str] = 'OPENAI_API_KEY',
                 timeout: float = 120.0,
                 max_retries: int = 5,
                 backoff: float = 2.0,
                 max_backoff: float = 60.0,
                 unreachable_retries: int = 1,
                 default_kwargs: Optional[dict] = None,
                 sleep: Callable[[float], None] = time.sleep):
        if not base_url:
            raise ValueError('base_url is required, e.g. '
                             "'https://api.openai.com/v1'")
        if not model:
            raise ValueError('model is required (the name the server serves)')
        self.url = base_url.rstrip('/') + '/chat/completions'
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.unreachable_retries = unreachable_retries
        self._lock = threading.Lock()
        self.default_kwargs = dict(default_kwargs or {})
        self.sleep = sleep
        self.num_requests = 0  # HTTP requests sent, retries included

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(url={self.url!r}, model={self.model!r},'
                f' api_key_env={self.api_key_env!r})')

    def _api_key(self) -> Optional[str]:
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env, '').strip()
        if not key:  # every request would fail the same way: stop the run
            raise BackendUnavailableError(
                f'{type(self).__name__}: environment variable '
                f'{self.api_key_env!r} is not set. Export your API key there '
                f'(export {self.api_key_env}=...), or pass api_key_env=None '
                'for a local server without authentication.')
        return key

    def build_payload(self,
                      messages: List[Message],
                      images: Optional[Sequence[np.ndarray]] = None,
                      **kwargs) -> dict:
        """The JSON body: images become base64 data URLs in the last user turn."""
        validate_messages(messages)
        msgs = [dict(m) for m in messages]
        if images:
            last_user = max(i for i, m in enumerate(msgs)
                            if m['role'] == 'user')
            parts = [{'type': 'text', 'text': msgs[last_user]['content']}]
            parts += [{'type': 'image_url',
                       'image_url': {'url': image_to_data_url(img)}}
                      for img in images]
            msgs[last_user]['content'] = parts
        payload = dict(model=self.model, messages=msgs)
        payload.update(self.default_kwargs)
        payload.update(kwargs)
        return payload

    def _wait_time(self, retry: int, retry_after: Optional[str]) -> float:
        wait = min(self.backoff * (2**retry), self.max_backoff)
        if retry_after:
            try:
                wait = max(wait, min(float(retry_after), self.max_backoff))
            except ValueError:
                pass
        return wait

    def generate(self,
                 messages: List[Message],
                 images: Optional[Sequence[np.ndarray]] = None,
                 metadata: Optional[dict] = None,
                 **kwargs) -> str:
        """Send one chat request; returns the first choice's text.

        Raises:
            BackendError: on a non-retryable HTTP status, a malformed reply,
                or when all retries are exhausted (the message never contains
                the key).
            BackendUnavailableError: the server cannot be reached at all
                (after ``unreachable_retries`` retries).
        """
        del metadata  # only offline backends use it
        body = json.dumps(self.build_payload(messages, images, **kwargs))
        headers = {'Content-Type': 'application/json'}
        key = self._api_key()
        if key is not None:
            headers['Authorization'] = f'Bearer {key}'
        last_error = ''
        unreachable, last_unreachable = 0, False
        for attempt in range(self.max_retries + 1):
            retry_after, last_unreachable = None, False
            request = urllib.request.Request(
                self.url, data=body.encode(), headers=headers, method='POST')
            with self._lock:
                self.num_requests += 1
            try:
                with urllib.request.urlopen(
                        request, timeout=self.timeout) as resp:
                    raw = resp.read()
                return self._parse_reply(raw)
            except urllib.error.HTTPError as err:
                detail = err.read()[:300].decode(errors='replace')
                last_error = f'HTTP {err.code} from {self.url}: {detail}'
                if err.code not in RETRYABLE_STATUS:
                    raise BackendError(last_error +
                                       self._hint(err.code)) from None
                retry_after = err.headers.get('Retry-After')
            except (urllib.error.URLError, socket.timeout, TimeoutError,
                    ConnectionError) as err:
                reason = getattr(err, 'reason', err)
                last_error = f'{type(err).__name__} on {self.url}: {reason}'
                if is_unreachable(err):
                    unreachable, last_unreachable = unreachable + 1, True
                    if unreachable > self.unreachable_retries:
                        raise BackendUnavailableError(
                            f'cannot reach {self.url} ({reason}; '
                            f'{unreachable} attempts). Is the server '
                            'running and --base-url right?') from None
                    self.sleep(min(self.backoff, 1.0))
                    continue
            if attempt < self.max_retries:
                self.sleep(self._wait_time(attempt, retry_after))
        if last_unreachable:
            raise BackendUnavailableError(
                f'cannot reach {self.url} ({last_error}). Is the server '
                'running and --base-url right?')
        raise BackendError(f'gave up after {self.max_retries + 1} attempts; '
                           f'last error: {last_error}')

    def _hint(self, code: int) -> str:
        if code in (401, 403):
            return (f' (check the key in ${self.api_key_env} and that it may '
                    f'use model {self.model!r})')
        if code == 404:
            return f' (check base_url {self.url!r} and model {self.model!r})'
        return ''

    def _parse_reply(self, raw: bytes) -> str:
        try:
            reply = json.loads(raw)
            content = reply['choices'][0]['message']['content']
        except (ValueError, KeyError, IndexError, TypeError) as err:
            raise BackendError(
                f'{self.url} returned a reply without '
                f'choices[0].message.content ({err!r}): {raw[:300]!r}') from None
        if isinstance(content, list):  # some servers return content parts
            content = ''.join(
                p.get('text', '') for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            raise BackendError(f'{self.url} returned non-text content: '
                               f'{content!r:.300}')
        return content
