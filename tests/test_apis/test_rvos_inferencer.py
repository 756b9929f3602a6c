"""RVOSInferencer on every input kind, windows, strides, batches and the
three models, through their real configs and mmengine checkpoints."""
import json
import os

import cv2
import numpy as np
import pytest
import torch

from rvos_plugin.apis import RVOSInferencer, open_video
from rvos_plugin.apis.rvos_inferencer import (expression_score,
                                              inference_pipeline)
from rvos_plugin.datasets.transforms.loading import RVOSDataError
from rvos_plugin.testing.inference import (BASELINE_CFG, REVIOSA_CFG,
                                           WSRVOS_CFG, moving_square_video,
                                           save_untrained_checkpoint)

EXPS = ['the red square', 'the background']


def _masks(out):
    return [p['masks'] for p in out['predictions']]


def test_outputs_at_the_video_size(per_frame_baseline):
    frames = moving_square_video()
    out = per_frame_baseline(frames, EXPS)
    assert out['video']['frame_inds'] == list(range(7))
    assert out['video']['shape'] == (40, 56)
    for pred, exp in zip(out['predictions'], EXPS):
        assert pred['expression'] == exp
        assert pred['masks'].shape == (7, 40, 56)
        assert pred['masks'].dtype == bool
        assert pred['scores'].shape == (7, )
        # scores: mean probability inside the mask, above the threshold
        present = pred['masks'].reshape(7, -1).any(1)
        assert (pred['scores'][present] > 0.5).all()
        assert (pred['scores'][~present] == 0).all()
        assert 'target_masks' not in pred and 'text' not in pred
    # one expression as a plain string
    single = per_frame_baseline(frames, EXPS[0])
    np.testing.assert_array_equal(single['predictions'][0]['masks'],
                                  out['predictions'][0]['masks'])


def test_every_input_kind_gives_the_same_masks(per_frame_baseline,
                                               tmp_path):
    frames = moving_square_video()
    ref = _masks(per_frame_baseline(frames, EXPS))
    # (T, H, W, 3) array
    for a, b in zip(ref, _masks(per_frame_baseline(np.stack(frames), EXPS))):
        np.testing.assert_array_equal(a, b)
    # folder of lossless PNG frames (file-name order)
    folder = tmp_path / 'frames'
    folder.mkdir()
    for t, f in enumerate(frames):
        cv2.imwrite(str(folder / f'img_{t:03d}.png'), f[..., ::-1])
    out = per_frame_baseline(str(folder), EXPS)
    assert out['video']['name'] == 'frames'
    assert out['video']['frame_names'][0] == 'img_000'
    for a, b in zip(ref, _masks(out)):
        np.testing.assert_array_equal(a, b)
    # one image file: a one-frame video
    one = per_frame_baseline(str(folder / 'img_003.png'), EXPS)
    np.testing.assert_array_equal(one['predictions'][0]['masks'][0],
                                  ref[0][3])
    # an mp4 (lossy): the masks of the frames decord decodes from it
    path = str(tmp_path / 'clip.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             (64, 48))
    big = [cv2.resize(f, (64, 48)) for f in frames]
    for f in big:
        writer.write(f[..., ::-1])
    writer.release()
    source = open_video(path)
    assert (len(source), source.shape, source.fps) == (7, (48, 64), 10.0)
    decoded = source.read(range(7))
    from_file = _masks(per_frame_baseline(path, EXPS))
    from_arrays = _masks(per_frame_baseline(decoded, EXPS))
    for a, b in zip(from_file, from_arrays):
        assert a.shape == (7, 48, 64)
        np.testing.assert_array_equal(a, b)


def test_windows_strides_and_batches_match_one_pass(per_frame_baseline):
    """A per-frame model gives the same masks whether the video is one
    window or many, strided or not, one expression per pass or two."""
    frames = moving_square_video(num_frames=8)
    one_pass = per_frame_baseline(frames, EXPS, window_size=100)
    windows = per_frame_baseline(frames, EXPS, window_size=3, batch_size=2)
    for a, b in zip(_masks(one_pass), _masks(windows)):
        np.testing.assert_array_equal(a, b)
    strided = per_frame_baseline(frames, EXPS, window_size=3,
                                 frame_stride=3)
    assert strided['video']['frame_inds'] == [0, 3, 6]
    for a, b in zip(_masks(one_pass), _masks(strided)):
        np.testing.assert_array_equal(a[[0, 3, 6]], b)
    # stream(): one item per window, with its frames
    items = list(per_frame_baseline.stream(frames, EXPS, window_size=3))
    assert [w['frame_inds'] for w in items] == [[0, 1, 2], [3, 4, 5],
                                                [6, 7]]
    assert len(items[2]['frames']) == 2
    np.testing.assert_array_equal(items[1]['predictions'][1]['masks'],
                                  one_pass['predictions'][1]['masks'][3:6])


def test_windows_of_a_temporal_model(tmp_path, capfd):
    """The full baseline (3x3x3 convs across frames) streams too; each
    window is one clip, so only shapes are the same as one pass."""
    ckpt = save_untrained_checkpoint(BASELINE_CFG,
                                     str(tmp_path / 'baseline.pth'))
    inferencer = RVOSInferencer(BASELINE_CFG, ckpt, device='cpu',
                                window_size=4)
    out = inferencer(moving_square_video(num_frames=9), EXPS)
    assert out['predictions'][0]['masks'].shape == (9, 40, 56)
    err = capfd.readouterr().err
    assert '6/6' in err  # progress: 3 windows x 2 batches of 1 expression
    assert not np.isnan(out['predictions'][0]['score'])


def test_wsrvos_through_its_real_config(tmp_path):
    ckpt = save_untrained_checkpoint(WSRVOS_CFG, str(tmp_path / 'wsrvos.pth'))
    inferencer = RVOSInferencer(WSRVOS_CFG, ckpt, device='cpu',
                                show_progress=False)
    out = inferencer(moving_square_video(num_frames=5), EXPS, window_size=2)
    pred = out['predictions'][0]
    assert pred['masks'].shape == (5, 40, 56)
    assert pred['scores'].shape == (5, ) and not np.isnan(
        pred['scores']).any()


def test_reviosa_actor_target_and_text(tmp_path):
    ckpt = save_untrained_checkpoint(REVIOSA_CFG,
                                     str(tmp_path / 'reviosa.pth'))
    inferencer = RVOSInferencer(REVIOSA_CFG, ckpt, device='cpu',
                                show_progress=False)
    assert inferencer.is_reviosa
    model = inferencer.model
    hidden = model.mllm.config.text_config.hidden_size
    gen = torch.Generator().manual_seed(0)
    act = torch.randn(1, hidden, generator=gen)
    tar = torch.randn(1, hidden, generator=gen)
    questions = []

    def seg_embeddings(question, pixels):
        # a random tiny LLM rarely emits both seg tokens: the answer is
        # fixed, the masks come from the real decoder
        questions.append(question)
        return dict(answer='It is [SEG_ACT] and [SEG_TAR].', act=act,
                    tar=tar)

    model._seg_embeddings = seg_embeddings
    out = inferencer(moving_square_video(num_frames=6),
                     ['the square pushing the circle'], window_size=4)
    pred = out['predictions'][0]
    assert pred['masks'].shape == pred['target_masks'].shape == (6, 40, 56)
    assert pred['target_scores'].shape == (6, )
    assert pred['text'] == 'It is [SEG_ACT] and [SEG_TAR].'
    assert pred['window_texts'] == [pred['text']] * 2  # two windows
    assert all('the square pushing the circle' in q for q in questions)
    # the two roles are decoded from different prompts
    assert not np.array_equal(pred['masks'], pred['target_masks'])
    # the video demo's files: actor and target PNGs, ids 0 / 1 in the
    # mask dict, subject / object in the expressions file, the answer
    from rvos_plugin.apis.segment_video import segment_video
    out_dir = tmp_path / 'demo'
    summary = segment_video(inferencer, moving_square_video(num_frames=3),
                            ['the square pushing the circle'], str(out_dir),
                            window_size=2)
    assert sorted(os.listdir(out_dir / 'masks')) == [
        '0_the-square-pushing-the-circle',
        '0_the-square-pushing-the-circle_target']
    assert sorted(json.loads((out_dir / 'masks.json').read_text())) == [
        '0', '1']
    meta = json.loads((out_dir / 'meta_expressions.json').read_text())
    item = meta['videos']['video']['expressions']['0']
    assert item['subject/object']['anno_id'] == dict(subject=[0],
                                                     object=[1])
    assert summary['expressions'][0]['answers'] == [pred['text']] * 2
    # no seg token: empty masks, score 0
    model._seg_embeddings = lambda q, p: dict(answer='No.', act=None,
                                              tar=None)
    out = inferencer(moving_square_video(num_frames=3), 'x')
    pred = out['predictions'][0]
    assert not pred['masks'].any() and not pred['target_masks'].any()
    assert pred['score'] == 0.0 and pred['text'] == 'No.'


def test_inference_pipeline_drops_the_dataset_steps():
    from mmengine.config import Config
    pipeline = Config.fromfile(BASELINE_CFG).test_dataloader.dataset.pipeline
    kept = [s['type'] for s in inference_pipeline(pipeline)]
    assert kept == ['RVOSResize', 'PackRVOSInputs']
    with pytest.raises(ValueError, match='PackRVOSInputs'):
        inference_pipeline([dict(type='RVOSResize', scale=(8, 8))])


def test_expression_score():
    masks = np.zeros((3, 2, 2), bool)
    masks[0, 0, 0] = masks[2] = True
    assert expression_score(masks, np.array([.9, 0., .7])) == \
        pytest.approx(.8)
    assert expression_score(np.zeros((2, 2, 2), bool), np.zeros(2)) == 0.0


def test_bad_inputs_name_the_problem(per_frame_baseline, tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.mp4'):
        per_frame_baseline(str(tmp_path / 'nothing.mp4'), EXPS)
    (tmp_path / 'empty').mkdir()
    with pytest.raises(RVOSDataError, match='no frame images'):
        per_frame_baseline(str(tmp_path / 'empty'), EXPS)
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video')
    with pytest.raises(RVOSDataError, match='bad.mp4'):
        per_frame_baseline(str(bad), EXPS)
    with pytest.raises(ValueError, match='non-empty'):
        per_frame_baseline(moving_square_video(2), ['  '])
    frames = moving_square_video(2)
    frames[1] = frames[1][:30]
    with pytest.raises(RVOSDataError, match='same size'):
        per_frame_baseline(frames, EXPS)
    with pytest.raises(FileNotFoundError, match='quickstart'):
        RVOSInferencer('no_such_config_name')
