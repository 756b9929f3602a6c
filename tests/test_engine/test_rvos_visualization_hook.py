"""RVOSVisualizationHook + RVOSLocalVisualizer: mp4-only splits, --out
records, and TensorBoard event files behind default_runtime's switch."""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
from mmengine.config import Config

from rvos_plugin.testing import make_mevis_fixture

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _trivial_cfg(tmp_path, data_root, video_dir=None) -> str:
    base = [osp.join(REPO, 'configs/_base_/datasets/synthetic_rvos.py'),
            osp.join(REPO, 'configs/_base_/default_runtime.py')]
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f"""
_base_ = {base!r}
data_root = {data_root!r}
image_size = 32
model = dict(type='RVOSTrivialPredictor', mode='centre_box',
             data_preprocessor=dict(type='RVOSDataPreprocessor'))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root,
                                   video_dir={video_dir!r}))
test_dataloader = val_dataloader
test_cfg = dict(type='TestLoop')
train_dataloader = None
val_cfg = dict(type='ValLoop')
""")
    return str(cfg)


def test_show_dir_and_out_on_an_mp4_only_split(tmp_path):
    data = tmp_path / 'data'
    make_mevis_fixture(str(data), 'valid', num_videos=1, num_frames=3,
                       size=(48, 64), write_mp4=True)
    shutil.rmtree(data / 'valid' / 'JPEGImages')  # only videos/<vid>.mp4
    cfg = _trivial_cfg(tmp_path, str(data), video_dir='videos')
    out = tmp_path / 'records.json'
    res = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools/test.py'), cfg,
         '--work-dir', str(tmp_path / 'work'), '--show-dir', 'vis',
         '--out', str(out)],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    drawn = sorted(glob.glob(str(tmp_path / 'work' / '*' / 'vis' / '*' /
                                 '*' / '*.jpg')))
    assert len(drawn) == 9, drawn  # 3 expressions x 3 frames
    import cv2
    img = cv2.imread(drawn[0])
    # upscaled for legibility (short side 256), masks drawn in colour
    assert img.shape[:2] == (256, 341)
    assert (np.abs(img.astype(int)[..., 2] - img[..., 1]) > 60).any()
    records = json.loads(out.read_text())
    assert len(records) == 3
    rec = records[0]
    assert rec['video_id'] == 'video0' and rec['exp_id'] == '0'
    assert len(rec['pred_mask']) == 3
    assert rec['pred_mask'][0]['size'] == [48, 64]
    assert 0.0 <= rec['J'] <= 1.0 and 0.0 <= rec['F'] <= 1.0
    # expression 2 has a target (unidirectional): the trivial predictor
    # writes one, so its record carries the target's RLE and J/F too
    assert 'pred_target_mask' in records[2] and 'target_J' in records[2]
    # no pixels, no GT: compact
    assert out.stat().st_size < 4000


def test_tensorboard_event_files_when_the_switch_is_on(tmp_path):
    from mmengine.runner import Runner
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    import rvos_plugin  # noqa: F401
    data = tmp_path / 'data'
    make_mevis_fixture(str(data), 'valid', num_videos=1, num_frames=3,
                       size=(32, 32))
    cfg = Config.fromfile(_trivial_cfg(tmp_path, str(data)))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.visualizer.tensorboard = True  # the default_runtime.py switch
    cfg.default_hooks.visualization.update(draw=True, interval=1)
    cfg.val_evaluator = dict(type='RVOSJFMetric')
    runner = Runner.from_cfg(cfg)
    runner.val()
    events = glob.glob(osp.join(runner.log_dir, 'vis_data', '**',
                                'events.out.tfevents.*'), recursive=True)
    assert events, os.listdir(runner.log_dir)
    acc = EventAccumulator(osp.dirname(events[0]))
    acc.Reload()
    images = acc.Tags()['images']
    # the first sample of each of the 3 validation iterations, 3 frames
    assert len(images) == 9 and all(t.startswith('val_video0_') for t in
                                    images), images
    assert any(t.endswith('J&F') for t in acc.Tags()['scalars'])
    # the local backend got the same frames
    assert len(glob.glob(osp.join(runner.log_dir, 'vis_data', 'vis_image',
                                  '*.png'))) == 9


def _packed_official_samples(tmp_path):
    """One packed sample of each official-layout dataset type."""
    from rvos_plugin.registry import DATASETS
    from rvos_plugin.testing import (make_a2d_fixture, make_jhmdb_fixture,
                                     make_ref_ytvos_fixture)

    def pipeline(centred):
        sample = (dict(type='RVOSCentredFrameSample', num_frames=3)
                  if centred else dict(type='RVOSFrameSample',
                                       test_mode=True))
        return [sample, dict(type='LoadRVOSFrames'),
                dict(type='LoadRVOSFileMasks'), dict(type='PackRVOSInputs')]

    roots = {k: tmp_path / k for k in ('a2d', 'a2d_mp4', 'jhmdb', 'ytvos')}
    make_a2d_fixture(str(roots['a2d']))
    make_a2d_fixture(str(roots['a2d_mp4']), write_frames=False)
    make_jhmdb_fixture(str(roots['jhmdb']))
    make_ref_ytvos_fixture(str(roots['ytvos']))
    cfgs = {
        'a2d': dict(type='RVOSA2DSentencesDataset', split='train',
                    pipeline=pipeline(True)),
        'a2d_mp4': dict(type='RVOSA2DSentencesDataset', split='train',
                        pipeline=pipeline(True)),
        'jhmdb': dict(type='RVOSJHMDBSentencesDataset',
                      pipeline=pipeline(True)),
        'ytvos': dict(type='RVOSRefYouTubeVOSDataset', split='train',
                      pipeline=pipeline(False)),
    }
    for name, cfg in cfgs.items():
        ds = DATASETS.build(dict(cfg, data_root=str(roots[name])))
        yield name, ds[0]['data_samples']


def test_hook_draws_every_dataset_type(tmp_path):
    """Frames come from each dataset's own media (JPEG/PNG folders, A2D
    mp4 clips without extracted frames); --show gets the wait time."""
    from rvos_plugin.engine.hooks import RVOSVisualizationHook
    from rvos_plugin.structures import set_frame_masks, stack_frame_masks
    from rvos_plugin.visualization import RVOSLocalVisualizer
    shown = []
    vis = RVOSLocalVisualizer(name='hook_all_datasets', min_size=0)
    vis.show = lambda img, win_name='', wait_time=0: shown.append(wait_time)
    hook = RVOSVisualizationHook(draw=True, show=True, wait_time=0.5)
    hook._visualizer = vis
    for name, sample in _packed_official_samples(tmp_path):
        set_frame_masks(sample, 'pred_mask',
                        stack_frame_masks(sample, 'gt_mask') > 0)
        out_dir = tmp_path / 'vis' / name
        hook.draw_sample(sample, out_dir=str(out_dir))
        drawn = [f for _, _, fs in os.walk(out_dir) for f in fs]
        # a clamped centred window may repeat a frame: one file per name
        assert len(drawn) == len(set(sample.frame_names)), name
    assert shown and set(shown) == {0.5}
