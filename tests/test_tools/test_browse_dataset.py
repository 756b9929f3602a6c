"""browse_dataset.py writes <video>/<exp_id>/<frame>.jpg with GT drawn."""
import glob
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from rvos_plugin.testing import (make_a2d_fixture, make_davis17_raw_fixture,
                                 make_jhmdb_fixture, make_mevis_fixture,
                                 make_ref_ytvos_fixture)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs', '_base_', 'datasets')


def _browse(*args):
    path = osp.join(REPO, 'tools', 'analysis_tools')
    if path not in sys.path:
        sys.path.insert(0, path)
    import browse_dataset
    return browse_dataset.main([str(a) for a in args])


def _grey_frames(root):
    """Replace every JPEG frame by flat grey so overlay colours are exact."""
    for path in glob.glob(osp.join(root, '*', 'JPEGImages', '*', '*.jpg')):
        h, w = cv2.imread(path).shape[:2]
        cv2.imwrite(path, np.full((h, w, 3), 128, np.uint8))


def test_masks_coloured_where_the_gt_is(tmp_path):
    root = str(tmp_path / 'data')
    truth = make_mevis_fixture(root, 'valid', num_videos=1, num_frames=5,
                               size=(24, 32))
    _grey_frames(root)
    out = tmp_path / 'out'
    written = _browse(osp.join(CONFIGS, 'synthetic_rvos.py'), '--split',
                      'val', '--data-root', root, '--output-dir', out,
                      '--max-samples', 10)
    # 1 video x 3 expressions x 5 frames, named <video>/<exp_id>/<frame>.jpg
    expected = {str(out / 'video0' / e / f'{t:05d}.jpg')
                for e in '012' for t in range(5)}
    assert set(written) == expected
    assert all(osp.isfile(p) for p in expected)
    # expression "2": red box (anno 1, actor) pushing blue box (anno 2,
    # target); frames are resized to 96x96 by the synthetic test pipeline.
    for t in range(5):
        img = cv2.cvtColor(cv2.imread(str(out / 'video0' / '2' /
                                          f'{t:05d}.jpg')),
                           cv2.COLOR_BGR2RGB).astype(int)
        frame = img[-96:]  # the banner with the text is on top

        def region(mask):
            big = cv2.resize(mask.astype(np.uint8), (96, 96),
                             interpolation=cv2.INTER_NEAREST)
            # away from edges (JPEG ringing)
            return cv2.erode(big, np.ones((5, 5), np.uint8)) > 0

        actor, target = region(truth[1][t]), region(truth[2][t])
        assert actor.sum() > 0
        # grey 128 blended 50/50 with red (255, 0, 0) -> about (191, 64, 64)
        np.testing.assert_allclose(frame[actor].mean(0), [191, 64, 64],
                                   atol=12)
        if truth[2][t].any():
            np.testing.assert_allclose(frame[target].mean(0),
                                       [64, 64, 191], atol=12)
        else:  # blue box absent in the last frame: nothing blue drawn
            assert (frame[..., 2] - frame[..., 0] < 40).all()
        background = cv2.dilate(
            cv2.resize((truth[1][t] | truth[2][t]).astype(np.uint8),
                       (96, 96), interpolation=cv2.INTER_NEAREST),
            np.ones((9, 9), np.uint8)) == 0
        np.testing.assert_allclose(frame[background].mean(0), [128] * 3,
                                   atol=3)
        assert np.abs(img[:-96] - 128).mean() > 20  # banner is not frame


def _ref_davis(root):
    path = osp.join(REPO, 'tools', 'dataset_converters')
    if path not in sys.path:
        sys.path.insert(0, path)
    from ref_davis17_to_ytvos import convert
    make_davis17_raw_fixture(root)
    convert(osp.join(root, 'DAVIS'), osp.join(root, 'davis_text_annotations'),
            osp.join(root, 'out'))
    return osp.join(root, 'out')


def _mevis(root):
    make_mevis_fixture(root, 'train', num_videos=1)
    return root


def _a2d(root):
    make_a2d_fixture(root, write_mp4=False)
    return root


def _jhmdb(root):
    make_jhmdb_fixture(root)
    return root


def _ytvos(root):
    make_ref_ytvos_fixture(root)
    return root


@pytest.mark.parametrize('config,split,make,frames_per_sample', [
    ('ref-ytvos.py', 'train', _ytvos, 4),
    ('ref-ytvos.py', 'val', _ytvos, 4),   # no masks: frames + text
    ('ref-davis17.py', 'val', _ref_davis, 3),
    ('a2d-sentences.py', 'train', _a2d, 4),
    ('jhmdb-sentences.py', 'val', _jhmdb, 4),
    ('mevis.py', 'train', _mevis, 4),
    ('interrvos-8k.py', 'train', _mevis, 4),
    ('synthetic_rvos.py', 'train', _mevis, 4),
])
def test_every_dataset_config(tmp_path, config, split, make,
                              frames_per_sample):
    root = make(str(tmp_path / 'data'))
    out = tmp_path / 'out'
    written = _browse(osp.join(CONFIGS, config), '--split', split,
                      '--data-root', root, '--output-dir', out,
                      '--max-samples', 2)
    # one path per drawn frame (A2D/JHMDB windows clamped at the video edges
    # repeat a frame, which is then written twice under the same name)
    assert len(written) == 2 * frames_per_sample
    for path in written:
        rel = osp.relpath(path, out).split(os.sep)
        assert len(rel) == 3 and rel[2].endswith('.jpg')  # video/exp/frame
        img = cv2.imread(path)
        assert img is not None and img.shape[0] > img.shape[1] * 0.5


def test_missing_split_names_the_dataloader(tmp_path):
    with pytest.raises(ValueError, match='train_dataloader'):
        _browse(osp.join(CONFIGS, 'jhmdb-sentences.py'), '--split', 'train',
                '--data-root', tmp_path, '--output-dir', tmp_path / 'o')
