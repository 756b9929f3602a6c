"""The LLM annotation tools on a dead, babbling or slow backend."""
import json
import os.path as osp
import socket
import sys
import threading

import pytest

from rvos_plugin.apis.llm import BackendUnavailableError
from rvos_plugin.apis.llm.openai_backend import OpenAICompatibleBackend
from rvos_plugin.apis.llm.synthetic_oracle import SyntheticOracleBackend
from rvos_plugin.testing import load_tool_module as tool_module

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PIPELINE = osp.join(REPO, 'tools', 'interrvos_annotation', 'run_pipeline.py')
MSG = [{'role': 'user', 'content': 'describe'}]


def _closed_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    from rvos_plugin.datasets.synthetic.generate import \
        generate_synthetic_rvos
    root = tmp_path_factory.mktemp('llm_src')
    generate_synthetic_rvos(str(root), seed=5, num_train=2, num_val=1,
                            size=48, min_frames=6, max_frames=6,
                            write_mp4=False)
    return osp.join(str(root), 'train')


def _run(source, out, backend, *extra):
    pipe = tool_module('interrvos_annotation', 'run_pipeline')
    return pipe.main([source, out, '--no-progress', '--num-frames', '2',
                      *extra], backend=backend)


def test_connection_refused_fails_fast_with_one_retry():
    waits = []
    be = OpenAICompatibleBackend(f'http://127.0.0.1:{_closed_port()}/v1',
                                 'm', api_key_env=None, sleep=waits.append)
    with pytest.raises(BackendUnavailableError, match='cannot reach'):
        be.generate(MSG)
    assert be.num_requests == 2 and sum(waits) <= 1.0


def test_missing_api_key_stops_the_run(monkeypatch):
    monkeypatch.delenv('RVOS_ROBUST_KEY', raising=False)
    be = OpenAICompatibleBackend('http://127.0.0.1:1/v1', 'm',
                                 api_key_env='RVOS_ROBUST_KEY')
    with pytest.raises(BackendUnavailableError, match='RVOS_ROBUST_KEY'):
        be.generate(MSG)


def test_pipeline_on_refused_backend_exits_2_without_a_split(
        source, tmp_path, monkeypatch, capsys):
    import runpy
    out = str(tmp_path / 'out')
    monkeypatch.setattr(sys, 'argv', [
        PIPELINE, source, out, '--backend', 'openai', '--base-url',
        f'http://127.0.0.1:{_closed_port()}/v1', '--model', 'm',
        '--api-key-env', '', '--no-progress'])
    with pytest.raises(SystemExit) as info:  # the script's exit status
        runpy.run_path(PIPELINE, run_name='__main__')
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert 'ABORTED' in err and 'cannot reach' in err
    assert not osp.exists(osp.join(out, 'meta_expressions.json'))
    summary = json.load(open(osp.join(out, '_annotation', 'summary.json')))
    assert summary['status'] == 'aborted'


class Babbler:
    """Answers prose, never JSON."""
    name = 'babbler'
    num_calls = 0

    def generate(self, messages, images=None, metadata=None, **kw):
        self.num_calls += 1
        return 'Sure! The object is a red square moving left.'


def test_non_json_replies_count_as_failures_and_hit_the_budget(source,
                                                               tmp_path):
    out = str(tmp_path / 'o')
    summary = _run(source, out, Babbler(), '--max-failures', '2')
    assert summary['status'] == 'aborted'
    assert summary['failures'] == 3  # stopped at the third failure
    assert 'max-failures' in summary['reason']
    assert not osp.exists(osp.join(out, 'meta_expressions.json'))
    lines = open(osp.join(out, '_annotation', 'failures.jsonl')).readlines()
    assert len(lines) == 3


class FailsStage1Once(SyntheticOracleBackend):
    failed = False

    def generate(self, messages, images=None, metadata=None, **kw):
        if metadata['task'].endswith('stage1') and not self.failed:
            self.failed = True
            return 'not json'
        return super().generate(messages, images, metadata, **kw)


def test_failures_within_budget_write_the_split_and_report(source,
                                                           tmp_path):
    pipe = tool_module('interrvos_annotation', 'run_pipeline')
    out = str(tmp_path / 'o')
    be = FailsStage1Once(osp.join(source, 'objects.json'))
    summary = _run(source, out, be, '--max-attempts', '1')
    assert summary['status'] == 'failures' and summary['failures'] == 1
    assert pipe.EXIT_CODES[summary['status']] == 1
    assert osp.isfile(osp.join(out, 'meta_expressions.json'))


def test_writer_refuses_a_split_with_zero_expressions(tmp_path):
    export = tool_module('interrvos_annotation', 'stages.export')
    path = tmp_path / 'meta_expressions.json'
    with pytest.raises(export.EmptySplitError, match=str(path)):
        export.write_meta(str(path), {'videos': {'v0': {
            'vid_id': 0, 'frames': ['00000'], 'expressions': {}}}})
    assert not path.exists()


class Concurrent(SyntheticOracleBackend):
    """Records how many requests are in flight at once; the first requests
    wait (up to 5 s) for a second one to arrive."""
    supports_concurrency = True

    def __init__(self, path):
        super().__init__(path)
        self.lock = threading.Lock()
        self.two_at_once = threading.Event()
        self.in_flight = self.max_in_flight = self.started = 0

    def generate(self, messages, images=None, metadata=None, **kw):
        with self.lock:
            self.in_flight += 1
            self.started += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.in_flight >= 2:
                self.two_at_once.set()
            first = self.started <= 2
        if first:
            self.two_at_once.wait(5)
        try:
            with self.lock:
                return super().generate(messages, images, metadata, **kw)
        finally:
            with self.lock:
                self.in_flight -= 1


def test_http_style_backends_get_concurrent_requests(source, tmp_path):
    objects = osp.join(source, 'objects.json')
    _run(source, str(tmp_path / 's'), SyntheticOracleBackend(objects))
    be = Concurrent(objects)
    summary = _run(source, str(tmp_path / 'c'), be, '--workers', '2')
    assert be.max_in_flight == 2 and summary['status'] == 'ok'
    a = json.load(open(tmp_path / 's' / 'meta_expressions.json'))
    b = json.load(open(tmp_path / 'c' / 'meta_expressions.json'))
    assert a == b  # same split whatever the completion order
