"""tools/test.py end to end: trivial model, metric, --show-dir and --out."""
import os
import os.path as osp
import pickle
import subprocess
import sys

from rvos_plugin.testing import make_mevis_fixture

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_test_py_show_dir_and_out(tmp_path):
    make_mevis_fixture(str(tmp_path / 'data'), 'valid', num_videos=1,
                       num_frames=3, size=(32, 32))
    cfg = tmp_path / 'cfg.py'
    base = [
        osp.join(REPO, 'configs/_base_/datasets/synthetic_rvos.py'),
        osp.join(REPO, 'configs/_base_/default_runtime.py')
    ]
    cfg.write_text(f"""
_base_ = {base!r}
data_root = {str(tmp_path / 'data')!r}
image_size = 32
model = dict(type='RVOSTrivialPredictor', mode='full',
             data_preprocessor=dict(type='RVOSDataPreprocessor'))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
test_cfg = dict(type='TestLoop')
train_dataloader = None
val_cfg = dict(type='ValLoop')
""")
    out = tmp_path / 'res.pkl'
    res = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools/test.py'), str(cfg),
         '--work-dir', str(tmp_path / 'work'), '--show-dir', 'vis',
         '--out', str(out)],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    drawn = [osp.join(dp, f) for dp, _, fs in os.walk(tmp_path / 'work')
             for f in fs if f.endswith('.jpg')]
    # 3 expressions x 3 frames
    assert len(drawn) == 9, drawn
    assert any(osp.join('video0', '2', '00001.jpg') in p for p in drawn)
    with open(out, 'rb') as f:
        records = pickle.load(f)
    assert len(records) == 3
    # the full-frame prediction of "the two boxes" etc. scores J < 1
    assert 'J&F' in res.stdout + res.stderr
