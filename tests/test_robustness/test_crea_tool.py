"""The CREA expression tool (tools/expression_generation) on a dead or
babbling backend and with nothing to write."""
import json
import os.path as osp
import socket

import pytest

from rvos_plugin.testing import load_tool_module as tool_module

crea = tool_module('expression_generation', 'generate_expressions')


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    from rvos_plugin.datasets.synthetic.generate import \
        generate_synthetic_rvos
    root = tmp_path_factory.mktemp('crea_src')
    generate_synthetic_rvos(str(root), seed=6, num_train=2, num_val=1,
                            size=48, min_frames=6, max_frames=6,
                            write_mp4=False)
    return osp.join(str(root), 'train')


def test_refused_server_fails_fast_and_writes_nothing(source, tmp_path,
                                                      capsys):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    out = tmp_path / 'crea.json'
    code = crea.cli([source, '--backend', 'openai', '--base-url',
                     f'http://127.0.0.1:{port}/v1', '--model', 'm',
                     '--out', str(out), '--no-progress'])
    assert code == 1
    assert f'127.0.0.1:{port}' in capsys.readouterr().err
    assert not out.exists()


class Babbler:
    name = 'babbler'
    num_calls = 0

    def generate(self, messages, images=None, metadata=None, **kw):
        self.num_calls += 1
        return 'Sure! Here you go.'


def test_babbling_backend_falls_back_and_reports_it(source, tmp_path):
    """Documented (wsrvos_data): a reply with no description passing
    Eq. (1) leaves the original expression as the positive, counted as
    ``fallback_positives`` and printed in the summary."""
    out = tmp_path / 'crea.json'
    stats = crea.main([source, '--backend', 'oracle', '--objects',
                       osp.join(source, 'objects.json'), '--out', str(out),
                       '--no-progress'], backend=Babbler())
    assert stats['fallback_positives'] == stats['samples'] > 0
    written = json.load(open(out))
    assert all(v['positive_texts'] for v in written.values())


def test_empty_result_is_not_written(tmp_path):
    from rvos_plugin.apis import crea_runner
    path = tmp_path / 'empty_crea.json'
    with pytest.raises(ValueError, match='empty_crea.json'):
        crea_runner.write_split(str(path), {})
    assert not path.exists()
