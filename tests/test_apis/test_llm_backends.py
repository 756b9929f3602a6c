"""Backends: HTTP retry/back-off and key handling against a local stub
server (127.0.0.1, bounded requests), structured answers, the JSONL cache."""
import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from rvos_plugin.apis.llm import (AnswerValidationError, BackendError,
                                  JsonlCache, extract_json, query_json)
from rvos_plugin.apis.llm.openai_backend import OpenAICompatibleBackend
from rvos_plugin.apis.llm.transformers_backend import TransformersBackend


class StubServer:
    """Serves a scripted list of (status, body, headers, delay) replies."""

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers['Content-Length']))
                stub.requests.append(dict(path=self.path,
                                          headers=dict(self.headers),
                                          body=json.loads(body)))
                status, reply, headers, delay = stub.script.pop(0)
                if delay:
                    threading.Event().wait(delay)
                try:
                    self.send_response(status)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(json.dumps(reply).encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.timeout = 5
        n = len(self.script)
        self.thread = threading.Thread(
            target=lambda: [self.httpd.handle_request() for _ in range(n)],
            daemon=True)

    @property
    def url(self):
        return f'http://127.0.0.1:{self.httpd.server_address[1]}/v1'

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(timeout=10)
        self.httpd.server_close()


def ok(text):
    return (200, {'choices': [{'message': {'content': text}}]}, None, 0)


MSG = [{'role': 'user', 'content': 'describe the video'}]


def test_retry_with_exponential_backoff_and_retry_after(monkeypatch):
    monkeypatch.setenv('RVOS_TEST_KEY', 'sk-secret-123')
    script = [(429, {'error': 'rate'}, {'Retry-After': '7'}, 0),
              (500, {'error': 'boom'}, None, 0),
              (503, {'error': 'busy'}, None, 0), ok('fine')]
    waits = []
    with StubServer(script) as srv:
        be = OpenAICompatibleBackend(srv.url, 'qwen3-vl', 'RVOS_TEST_KEY',
                                     timeout=5, max_retries=4, backoff=0.5,
                                     sleep=waits.append)
        assert be.generate(MSG, temperature=0) == 'fine'
    # 0.5 * 2**k, but Retry-After (7 s) wins over the first 0.5 s wait
    assert waits == [7.0, 1.0, 2.0]
    assert be.num_requests == 4
    req = srv.requests[0]
    assert req['path'] == '/v1/chat/completions'
    assert req['headers']['Authorization'] == 'Bearer sk-secret-123'
    assert req['body']['model'] == 'qwen3-vl'
    assert req['body']['temperature'] == 0
    assert 'sk-secret' not in repr(be)


def test_retries_on_timeout_then_gives_up(monkeypatch):
    monkeypatch.setenv('RVOS_TEST_KEY', 'k')
    script = [(200, {}, None, 0.6), ok('late but fine')]
    with StubServer(script) as srv:
        be = OpenAICompatibleBackend(srv.url, 'm', 'RVOS_TEST_KEY',
                                     timeout=0.2, max_retries=1, backoff=0,
                                     sleep=lambda s: None)
        assert be.generate(MSG) == 'late but fine'
    script = [(502, {}, None, 0)] * 3
    with StubServer(script) as srv:
        be = OpenAICompatibleBackend(srv.url, 'm', 'RVOS_TEST_KEY',
                                     max_retries=2, backoff=0,
                                     sleep=lambda s: None)
        with pytest.raises(BackendError, match='gave up after 3 attempts'):
            be.generate(MSG)


def test_non_retryable_status_and_missing_key(monkeypatch):
    monkeypatch.setenv('RVOS_TEST_KEY', 'sk-should-not-leak')
    with StubServer([(401, {'error': 'bad key'}, None, 0)]) as srv:
        be = OpenAICompatibleBackend(srv.url, 'm', 'RVOS_TEST_KEY',
                                     sleep=lambda s: pytest.fail('retried'))
        with pytest.raises(BackendError, match='HTTP 401') as err:
            be.generate(MSG)
    assert 'sk-should-not-leak' not in str(err.value)
    assert be.num_requests == 1
    monkeypatch.delenv('RVOS_TEST_KEY')
    be = OpenAICompatibleBackend('http://127.0.0.1:9/v1', 'm',
                                 'RVOS_TEST_KEY')
    with pytest.raises(BackendError, match="'RVOS_TEST_KEY' is not set"):
        be.generate(MSG)
    assert be.num_requests == 0  # nothing sent without a key


def test_images_sent_as_base64_data_urls():
    be = OpenAICompatibleBackend('http://x/v1', 'm', api_key_env=None)
    img = np.zeros((8, 12, 3), np.uint8)
    img[:, :6] = (255, 0, 0)
    payload = be.build_payload(
        [{'role': 'system', 'content': 's'}] + MSG, images=[img, img])
    parts = payload['messages'][1]['content']
    assert parts[0] == {'type': 'text', 'text': 'describe the video'}
    assert len(parts) == 3
    url = parts[1]['image_url']['url']
    assert url.startswith('data:image/jpeg;base64,')
    import cv2
    dec = cv2.imdecode(np.frombuffer(base64.b64decode(url.split(',')[1]),
                                     np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    assert dec.shape == (8, 12, 3)
    assert dec[4, 2, 0] > 200 and dec[4, 2, 2] < 50  # RGB kept as RGB
    with pytest.raises(ValueError, match='empty'):
        be.build_payload([{'role': 'user', 'content': ' '}])


def test_transformers_backend_missing_path_says_what_to_download(tmp_path):
    with pytest.raises(FileNotFoundError, match='huggingface-cli download'):
        TransformersBackend(str(tmp_path / 'nope'))
    with pytest.raises(FileNotFoundError, match='no config.json'):
        TransformersBackend(str(tmp_path))


class ScriptedBackend:
    name = 'scripted'

    def __init__(self, answers):
        self.answers = list(answers)
        self.chats = []

    def generate(self, messages, images=None, **kw):
        self.chats.append(messages)
        return self.answers.pop(0)


SCHEMA = {'type': 'object', 'required': ['all', 'motion'],
          'properties': {'all': {'type': 'string'},
                         'motion': {'type': 'string'}}}


def test_query_json_retries_malformed_answer_with_the_error():
    be = ScriptedBackend(['Sure! here it is: {"all": "a red car"',
                          '{"all": "a red car", "motion": 3}',
                          '```json\n{"all": "a red car", '
                          '"motion": "car turning",}\n```'])
    value, calls = query_json(be, MSG, SCHEMA)
    assert value == {'all': 'a red car', 'motion': 'car turning'}
    assert calls == 3
    # the second request carries the bad answer and the error
    assert be.chats[1][-2]['role'] == 'assistant'
    assert 'invalid' in be.chats[1][-1]['content']
    assert 'motion' in be.chats[2][-1]['content']  # schema error names key
    be = ScriptedBackend(['nope'] * 2)
    with pytest.raises(AnswerValidationError) as err:
        query_json(be, MSG, SCHEMA, max_attempts=2)
    assert err.value.answers == ['nope', 'nope']


def test_extract_json_variants():
    assert extract_json('{"a": [1, 2,]}') == {'a': [1, 2]}
    assert extract_json('text [1] more') == [1]
    with pytest.raises(ValueError):
        extract_json('no json at all')


def test_jsonl_cache_survives_a_cut_last_line(tmp_path):
    path = str(tmp_path / 'c.jsonl')
    cache = JsonlCache(path)
    cache.put('a', {'x': 1})
    cache.put('b', [2])
    with open(path, 'a') as f:
        f.write('{"key": "c", "val')  # interrupted write
    with pytest.warns(UserWarning, match='incomplete'):
        again = JsonlCache(path)
    assert len(again) == 2 and again['b'] == [2] and 'c' not in again
    again.put('c', 3)
    assert JsonlCache(path)['c'] == 3
    with open(path, 'w') as f:
        f.write('garbage\n{"key": "a", "value": 1}\n')
    with pytest.raises(ValueError, match='line 1'):
        JsonlCache(path)
