"""tools/analysis_tools/benchmark.py and analyze_logs.py on tiny inputs."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from rvos_plugin.testing import make_mevis_fixture

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _run(args):
    res = subprocess.run([sys.executable] + args, capture_output=True,
                         text=True, timeout=300,
                         env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return res.stdout


def test_benchmark_reports_fps_and_peak_memory(tmp_path):
    make_mevis_fixture(str(tmp_path / 'data'), 'valid', num_videos=2,
                       num_frames=4, size=(32, 32))
    base = [osp.join(REPO, 'configs/_base_/datasets/synthetic_rvos.py'),
            osp.join(REPO, 'configs/_base_/default_runtime.py')]
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f"""
_base_ = {base!r}
data_root = {str(tmp_path / 'data')!r}
image_size = 32
model = dict(type='RVOSTrivialPredictor', mode='full',
             data_preprocessor=dict(type='RVOSDataPreprocessor'))
test_dataloader = dict(dataset=dict(data_root=data_root))
""")
    out = tmp_path / 'bench.json'
    _run([osp.join(REPO, 'tools/analysis_tools/benchmark.py'), str(cfg),
          '--num-samples', '4', '--warmup', '1', '--device', 'cpu',
          '--out', str(out)])
    result = json.loads(out.read_text())
    # 2 videos x 3 expressions = 6 samples: 1 warm-up + 4 timed, 4 frames
    assert result['samples'] == 4 and result['frames'] == 16
    assert result['device'] == 'cpu' and result['fps'] > 0
    assert result['peak_memory_mb'] >= result['rss_after_load_mb'] > 0


def _write_log(path):
    lines = [dict(lr=1e-3, data_time=.02, loss=1.0 - .1 * i, time=t,
                  epoch=1, iter=10 * (i + 1), step=10 * (i + 1))
             for i, t in enumerate([.9, .3, .2, .4])]
    lines.insert(2, {'rvos/J&F': .5, 'rvos/J': .4, 'data_time': .01,
                     'time': .1, 'step': 1})
    lines.append({'rvos/J&F': .6, 'rvos/J': .5, 'data_time': .01,
                  'time': .1, 'step': 2})
    path.parent.mkdir(parents=True)
    path.write_text('\n'.join(json.dumps(x) for x in lines) + '\n')


def test_analyze_logs_plots_train_and_val_keys(tmp_path):
    sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
    try:
        import analyze_logs
    finally:
        sys.path.pop(0)
    log = tmp_path / 'work' / '20260101_000000' / 'vis_data' / \
        '20260101_000000.json'
    _write_log(log)
    logs = analyze_logs.load_json_log(str(log))
    assert logs['train']['loss'] == pytest.approx([1.0, .9, .8, .7])
    assert logs['train']['iter'] == [10, 20, 30, 40]
    assert logs['val']['rvos/J&F'] == [.5, .6]
    assert logs['val']['step'] == [1, 2]
    # the work dir resolves to its newest json log
    assert analyze_logs.find_log(str(tmp_path / 'work')) == str(log)
    timing = analyze_logs.main(['cal_train_time', str(log)])
    assert timing[str(log)]['mean'] == pytest.approx(.3)  # first dropped
    out = tmp_path / 'curves.png'
    _run([osp.join(REPO, 'tools/analysis_tools/analyze_logs.py'),
          'plot_curve', str(tmp_path / 'work'), '--keys', 'loss',
          'rvos/J&F', '--out', str(out)])
    assert out.stat().st_size > 1000
    with pytest.raises(SystemExit, match='keys found'):
        analyze_logs.main(['plot_curve', str(log), '--keys', 'nope',
                           '--out', str(tmp_path / 'x.png')])
