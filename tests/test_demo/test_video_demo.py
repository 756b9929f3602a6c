"""demo/video_demo.py and demo/image_demo.py end to end (CLI processes)."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np

from rvos_plugin.evaluation.functional.mask_io import read_mask_png
from rvos_plugin.testing.inference import (BASELINE_CFG, REPO,
                                           moving_square_video)


def _run(args):
    res = subprocess.run([sys.executable] + args, capture_output=True,
                         text=True, timeout=300,
                         env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    return res.stdout


def test_video_demo_writes_masks_mask_dict_and_overlay(tmp_path,
                                                      baseline_ckpt):
    from pycocotools import mask as mask_utils
    frames_dir = tmp_path / 'my_clip'
    frames_dir.mkdir()
    for t, frame in enumerate(moving_square_video(5, size=(40, 56))):
        cv2.imwrite(str(frames_dir / f'{t:05d}.jpg'), frame[..., ::-1])
    out = tmp_path / 'out'
    stdout = _run([
        osp.join(REPO, 'demo/video_demo.py'), str(frames_dir),
        'the red square', 'the background', '--config', BASELINE_CFG,
        '--checkpoint', baseline_ckpt, '--out-dir', str(out), '--gif',
        '--window-size', '2', '--cfg-options',
        'model.test_cfg.mask_thr=0.4'])
    assert '5 frames' in stdout
    pngs = sorted(os.listdir(out / 'masks' / '0_the-red-square'))
    assert pngs == [f'{t:05d}.png' for t in range(5)]
    assert sorted(os.listdir(out / 'masks')) == ['0_the-red-square',
                                                  '1_the-background']
    # masks.json (MeViS mask_dict) holds exactly the PNG masks
    mask_dict = json.loads((out / 'masks.json').read_text())
    assert sorted(mask_dict) == ['0', '2']  # actor ids 2 i
    for t in range(5):
        png = read_mask_png(str(out / 'masks' / '1_the-background' /
                                f'{t:05d}.png'))
        np.testing.assert_array_equal(mask_utils.decode(
            mask_dict['2'][t]).astype(bool), png)
    meta = json.loads((out / 'meta_expressions.json').read_text())
    video = meta['videos']['my_clip']
    assert video['frames'] == [f'{t:05d}' for t in range(5)]
    assert video['expressions']['1'] == dict(exp='the background',
                                             obj_id=[2], anno_id=[2])
    import av
    with av.open(str(out / 'overlay.mp4')) as container:
        stream = container.streams.video[0]
        decoded = [f.to_ndarray(format='rgb24')
                   for f in container.decode(stream)]
    assert len(decoded) == 5
    assert decoded[0].shape[:2] == (360, 504)  # upscaled: legible text
    assert (out / 'overlay.gif').stat().st_size > 0
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['segmented_frames'] == 5
    assert [e['folder'] for e in summary['expressions']] == [
        '0_the-red-square', '1_the-background']


def test_image_demo(tmp_path, baseline_ckpt):
    image = tmp_path / 'frame.png'
    cv2.imwrite(str(image), moving_square_video(1)[0][..., ::-1])
    out_file = tmp_path / 'vis' / 'frame.jpg'
    stdout = _run([osp.join(REPO, 'demo/image_demo.py'), str(image),
                   'the red square', '--config', BASELINE_CFG,
                   '--checkpoint', baseline_ckpt, '--out-file',
                   str(out_file)])
    assert 'mask pixels' in stdout
    drawn = cv2.imread(str(out_file))
    assert drawn.shape[:2] == (360, 504)
    mask = read_mask_png(str(tmp_path / 'vis' / 'frame_0.png'))
    assert mask.shape == (40, 56)


def test_web_demo_helpers(tmp_path):
    """Expressions split per line / ';'; model specs; example videos that
    browsers cannot play (cv2's mp4v) get an H.264 copy."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'web_demo', osp.join(REPO, 'demo/web_demo.py'))
    web_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(web_demo)
    assert web_demo.split_expressions('a dog; the cat\n\n  b ') == [
        'a dog', 'the cat', 'b']
    assert web_demo.parse_model_spec('mine=c.py:k.pth') == ('mine', 'c.py',
                                                           'k.pth')
    assert web_demo.parse_model_spec('baseline') == ('baseline', 'baseline',
                                                     None)
    mp4v = str(tmp_path / 'ex' / 'clip.mp4')
    os.makedirs(osp.dirname(mp4v))
    writer = cv2.VideoWriter(mp4v, cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             (64, 48))
    for frame in moving_square_video(4, size=(48, 64)):
        writer.write(frame[..., ::-1])
    writer.release()
    [playable] = web_demo.find_examples([str(tmp_path / 'ex')],
                                        str(tmp_path / 'cache'))
    assert playable == str(tmp_path / 'cache' / 'clip.mp4')
    import av
    with av.open(playable) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == 'h264'
        assert sum(1 for _ in container.decode(stream)) == 4
    # already H.264: used as is
    assert web_demo.find_examples([playable]) == [playable]
