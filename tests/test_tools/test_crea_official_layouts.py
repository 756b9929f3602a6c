"""CREA tool on the official layouts, over HTTP, with failures (issue 19/22).

The HTTP tests run the real ``OpenAICompatibleBackend`` against a local
OpenAI-compatible server (stdlib ``http.server``) that answers with a delay.
"""
import json
import os
import os.path as osp
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from rvos_plugin.apis import expression_augmentation as crea
from rvos_plugin.apis.crea_sources import load_samples, load_sample_frames
from rvos_plugin.apis.llm import BackendError
import projects.WSRVOS.wsrvos  # noqa: F401 (LoadWSRVOSExpressions)
from rvos_plugin.registry import DATASETS, TRANSFORMS
from rvos_plugin.testing import (load_tool_module, make_a2d_fixture,
                                 make_ref_ytvos_fixture)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """Requests to the local test server never go through a proxy."""
    for var in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY',
                'all_proxy', 'ALL_PROXY'):
        monkeypatch.delenv(var, raising=False)


class WordScorer:
    """Eq. (1) stand-in: share of the original expression's words present."""

    def similarities(self, sample, texts):
        words = set(sample['expression'].lower().split())
        return np.array([len(words & set(t.lower().rstrip('.').split())) /
                         len(words) for t in texts])


class EchoBackend:
    """Positives repeat the expression, negatives change it; records calls."""

    name = 'echo'

    def __init__(self, fail_on=()):
        self.calls, self.images, self.fail_on = [], [], set(fail_on)

    def generate(self, messages, images=None, metadata=None, **kw):
        self.calls.append(metadata)
        self.images.append(images)
        if metadata['video_id'] in self.fail_on:
            raise BackendError('HTTP 500 from server: boom')
        return answer(messages[-1]['content'], metadata['task'])


def answer(prompt, task):
    expr = prompt.split('"')[1] if '"' in prompt else 'the thing'
    if task == 'wsrvos_positive' or 'positive' in prompt.lower():
        return json.dumps([f'{expr} seen clearly {i}' for i in range(3)])
    return json.dumps([f'a purple robot number {i}' for i in range(5)])


def gen_tool():
    return load_tool_module('expression_generation', 'generate_expressions')


def prompts(tmp_path):
    for kind in ('positive', 'negative'):
        (tmp_path / f'{kind}.txt').write_text(
            f'Give {{num}} {kind} sentences for "{{expression}}".')
    return ['--positive-prompt', str(tmp_path / 'positive.txt'),
            '--negative-prompt', str(tmp_path / 'negative.txt')]


def test_ref_ytvos_official_layout_keys_and_frames(tmp_path):
    root = tmp_path / 'ref-youtube-vos'
    make_ref_ytvos_fixture(str(root))
    backend = EchoBackend()
    out = str(root / 'wsrvos_crea_train.json')
    stats = gen_tool().main(
        ['--dataset', 'ref-ytvos', '--data-root', str(root), '--out', out,
         '--backend', 'openai', '--no-progress'] + prompts(tmp_path),
        backend=backend, scorer=WordScorer())
    assert stats['exit_code'] == 0 and stats['written'] == 2
    data = json.load(open(out))
    assert sorted(data) == ['ytvos:vid_a:0', 'ytvos:vid_a:1']
    # the VLM saw the train frames (JPEGImages, 4 frames at 24x32)
    assert all(len(im) == 4 and im[0].shape == (24, 32, 3)
               for im in backend.images)
    # every training sample of the dataset class finds its record
    ds = DATASETS.build(dict(type='RVOSRefYouTubeVOSDataset',
                             data_root=str(root), split='train',
                             pipeline=[]))
    load = TRANSFORMS.build(dict(type='LoadWSRVOSExpressions', ann_file=out,
                                 prefix='ytvos'))
    for i in range(len(ds)):
        rec = load(ds.get_data_info(i))
        assert rec['positive_texts'][0].startswith(
            ds.get_data_info(i)['expression'])


def test_real_ref_ytvos_meta_as_train_layout(tmp_path, shared_data):
    """The real meta's video/expression ids and frame names, train layout."""
    meta = json.load(open(osp.join(shared_data, 'ref-ytvos_valid_meta',
                                   'meta_expressions.json')))
    videos = {v: meta['videos'][v] for v in sorted(meta['videos'])[:3]}
    root = tmp_path / 'ref-youtube-vos'
    import cv2
    for vid, info in videos.items():
        for exp in info['expressions'].values():
            exp['obj_id'] = '1'
        os.makedirs(root / 'train/JPEGImages' / vid)
        for name in info['frames']:
            cv2.imwrite(str(root / 'train/JPEGImages' / vid / f'{name}.jpg'),
                        np.full((8, 12, 3), 90, np.uint8))
    os.makedirs(root / 'meta_expressions/train')
    (root / 'meta_expressions/train/meta_expressions.json').write_text(
        json.dumps(dict(videos=videos)))
    out = str(tmp_path / 'crea.json')
    stats = gen_tool().main(
        ['--dataset', 'ref-ytvos', '--data-root', str(root), '--out', out,
         '--backend', 'openai', '--no-progress'] + prompts(tmp_path),
        backend=EchoBackend(), scorer=WordScorer())
    expected = {f'ytvos:{v}:{e}' for v, info in videos.items()
                for e in info['expressions']}
    assert stats['exit_code'] == 0 and set(json.load(open(out))) == expected


def test_a2d_official_layout_keys_units_and_mp4_frames(tmp_path):
    root = tmp_path / 'a2d_sentences'
    make_a2d_fixture(str(root), write_frames=False)  # csv + mp4 + txt + h5
    samples = load_samples('a2d', str(root))
    assert [s['key'] for s in samples] == [
        'a2d:T6bNPuKV-wY:00005_1', 'a2d:vidTrain01:00003_1',
        'a2d:vidTrain01:00003_2', 'a2d:vidTrain01:00008_1']
    frames = load_sample_frames(samples[1], 4)  # decoded from the mp4
    assert len(frames) == 4 and frames[0].shape == (24, 32, 3)
    backend = EchoBackend()
    out = str(root / 'wsrvos_crea_train.json')
    stats = gen_tool().main(
        ['--dataset', 'a2d', '--data-root', str(root), '--out', out,
         '--backend', 'openai', '--no-progress'] + prompts(tmp_path),
        backend=backend, scorer=WordScorer())
    # one generation per (video, instance, query): 3 units for 4 samples
    assert (stats['samples'], stats['units'], stats['written']) == (4, 3, 4)
    # two rounds of (positive, negative) requests per unit, none per frame
    assert len(backend.calls) == 3 * 4
    data = json.load(open(out))
    assert data['a2d:vidTrain01:00003_1'] == data['a2d:vidTrain01:00008_1']
    ds = DATASETS.build(dict(type='RVOSA2DSentencesDataset',
                             data_root=str(root), split='train',
                             pipeline=[]))
    load = TRANSFORMS.build(dict(type='LoadWSRVOSExpressions', ann_file=out,
                                 prefix='a2d'))
    for i in range(len(ds)):
        assert load(ds.get_data_info(i))['negative_texts']


def test_failures_exit_non_zero_keep_cache_and_resume(tmp_path):
    root = tmp_path / 'ref-youtube-vos'
    make_ref_ytvos_fixture(str(root))
    out = str(tmp_path / 'crea.json')
    args = ['--dataset', 'ref-ytvos', '--data-root', str(root), '--out', out,
            '--backend', 'openai', '--no-progress'] + prompts(tmp_path)
    stats = gen_tool().main(args, backend=EchoBackend(fail_on={'vid_a'}),
                            scorer=WordScorer())
    assert stats['failed'] == 2 and stats['exit_code'] == 1
    assert not osp.exists(out)  # nothing to write: refused, not '{}'
    assert 'HTTP 500' in stats['first_error']
    assert len(open(out + '.failures.jsonl').read().splitlines()) == 2
    # the server is back: the rerun generates what failed, exit 0
    stats = gen_tool().main(args, backend=EchoBackend(), scorer=WordScorer())
    assert stats['exit_code'] == 0 and stats['written'] == 2


def test_partial_output_only_on_request(tmp_path):
    root = tmp_path / 'ref-youtube-vos'
    make_ref_ytvos_fixture(str(root))
    meta_path = root / 'meta_expressions/train/meta_expressions.json'
    meta = json.loads(meta_path.read_text())
    meta['videos']['vid_z'] = dict(meta['videos']['vid_a'])
    meta_path.write_text(json.dumps(meta))
    os.symlink(root / 'train/JPEGImages/vid_a',
               root / 'train/JPEGImages/vid_z')
    out = str(tmp_path / 'crea.json')
    args = ['--dataset', 'ref-ytvos', '--data-root', str(root), '--out', out,
            '--backend', 'openai', '--no-progress'] + prompts(tmp_path)
    stats = gen_tool().main(args, backend=EchoBackend(fail_on={'vid_z'}),
                            scorer=WordScorer())
    assert stats['exit_code'] == 1 and not osp.exists(out)
    stats = gen_tool().main(args + ['--allow-partial'],
                            backend=EchoBackend(fail_on={'vid_z'}),
                            scorer=WordScorer())
    assert stats['exit_code'] == 1 and stats['written'] == 2
    assert sorted(json.load(open(out))) == ['ytvos:vid_a:0', 'ytvos:vid_a:1']


def test_failure_budget_stops_the_run(tiny_synthetic, tmp_path):
    samples = load_samples('mevis', tiny_synthetic)
    assert len(samples) > 5
    backend = EchoBackend(fail_on={s['video_id'] for s in samples})
    out = str(tmp_path / 'crea.json')
    stats = gen_tool().main(
        [tiny_synthetic, '--out', out, '--backend', 'openai', '--workers',
         '1', '--max-failures', '2', '--no-progress'] + prompts(tmp_path),
        backend=backend, scorer=WordScorer())
    assert stats['aborted'] and stats['failed'] == 3
    assert len(backend.calls) == 3  # stopped after the budget
    assert stats['exit_code'] == 1 and not osp.exists(out)


# ------------------------------------------------------------------ HTTP
class _Handler(BaseHTTPRequestHandler):
    delay = 0.3
    active = 0
    peak = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
        with _Handler.lock:
            _Handler.active += 1
            _Handler.peak = max(_Handler.peak, _Handler.active)
        time.sleep(self.delay)
        with _Handler.lock:
            _Handler.active -= 1
        content = body['messages'][-1]['content']
        text = content if isinstance(content, str) else content[0]['text']
        reply = json.dumps({'choices': [{'message': {
            'content': answer(text, 'wsrvos_positive' if 'positive' in text
                              else 'wsrvos_negative')}}]}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.peak = 0
    yield f'http://127.0.0.1:{server.server_address[1]}/v1'
    server.shutdown()
    server.server_close()


def test_http_backend_runs_requests_concurrently(tmp_path, tiny_synthetic,
                                                 http_server, monkeypatch):
    samples = load_samples('mevis', tiny_synthetic)[:8]
    out = str(tmp_path / 'crea.json')
    gen = gen_tool()
    monkeypatch.setattr(gen, 'build_scorer', lambda *a: WordScorer())
    stats = gen.main(
        [tiny_synthetic, '--out', out, '--backend', 'openai', '--base-url',
         http_server, '--model', 'qwen3-vl', '--api-key-env', '',
         '--workers', '8', '--limit', '8', '--no-progress'] +
        prompts(tmp_path))
    assert stats['exit_code'] == 0 and stats['written'] == len(samples)
    # requests overlap at the server (wall time: benchmarks/bench_crea_http.py)
    assert _Handler.peak >= 4, _Handler.peak


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_connection_refused_fails_fast(tmp_path, tiny_synthetic, capsys):
    out = str(tmp_path / 'crea.json')
    url = f'http://127.0.0.1:{_free_port()}/v1'
    start = time.time()
    code = gen_tool().cli(
        [tiny_synthetic, '--out', out, '--backend', 'openai', '--base-url',
         url, '--model', 'm', '--api-key-env', '', '--no-progress'])
    assert code == 1 and time.time() - start < 10  # not 62 s of back-off
    assert url in capsys.readouterr().err
    assert not osp.exists(out)


def test_eq1_fallback_record_helper():
    rec = dict(positive_texts=['a dog'] * 3)
    assert crea.is_fallback_record(rec, ' a dog ')
    assert not crea.is_fallback_record(dict(positive_texts=['a dog. big']),
                                       'a dog')
