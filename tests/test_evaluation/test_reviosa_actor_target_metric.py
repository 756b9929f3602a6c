"""ReVIOsAActorTargetMetric on a hand-computed case."""
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import PixelData

from rvos_plugin.evaluation.metrics.reviosa_actor_target_metric import \
    ReVIOsAActorTargetMetric

H = W = 32


def _box(y0, y1, x0, x1):
    m = torch.zeros(H, W, dtype=torch.bool)
    m[y0:y1, x0:x1] = True
    return m


EMPTY = torch.zeros(H, W, dtype=torch.bool)
BOX = _box(8, 24, 8, 24)


def _sample(exp_id, caption_type, gts, preds, has_target=False,
            gt_targets=None, pred_targets=None, kind=None):
    track = TrackDataSample()
    frames = []
    for t in range(len(gts)):
        f = DetDataSample()
        f.gt_mask = PixelData(data=gts[t][None])
        f.pred_mask = PixelData(data=preds[t][None])
        if gt_targets is not None:
            f.gt_target_mask = PixelData(data=gt_targets[t][None])
        if pred_targets is not None:
            f.pred_target_mask = PixelData(data=pred_targets[t][None])
        frames.append(f)
    track.video_data_samples = frames
    track.set_metainfo(dict(video_id='v', exp_id=exp_id,
                            caption_type=caption_type, has_target=has_target,
                            expression_kind=kind))
    return track.to_dict()  # what mmengine's Evaluator passes


def _run(samples):
    metric = ReVIOsAActorTargetMetric()
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_hand_computed_groups():
    samples = [
        # referring, perfect: (J, F) = (1, 1)
        _sample('0', 'single', [BOX], [BOX], kind='appearance'),
        # referring, frame 0 perfect, frame 1 missed: (0.5, 0.5)
        _sample('1', 'multi', [BOX, BOX], [BOX, EMPTY], kind='multi'),
        # actor-target: actor perfect (1, 1), target missed (0, 0)
        _sample('2', 'unidirectional', [BOX], [BOX], has_target=True,
                gt_targets=[BOX], pred_targets=[EMPTY],
                kind='unidirectional_active'),
    ]
    m = _run(samples)
    assert m['Referring/J'] == pytest.approx(0.75)
    assert m['Referring/F'] == pytest.approx(0.75)
    assert m['Referring/J&F'] == pytest.approx(0.75)
    assert m['Actor-Target/J&F'] == pytest.approx(0.5)
    assert m['Actor-Target/actor_J&F'] == pytest.approx(1.0)
    assert m['Actor-Target/target_J&F'] == pytest.approx(0.0)
    # Overall: item mean over (1, .5, 1, 0)
    assert m['Overall/J'] == pytest.approx(0.625)
    assert m['Overall/J&F'] == pytest.approx(0.625)
    assert m['caption_type/single/J&F'] == pytest.approx(1.0)
    assert m['caption_type/multi/J&F'] == pytest.approx(0.5)
    assert m['caption_type/unidirectional/J&F'] == pytest.approx(1.0)
    assert m['expression_kind/multi/J&F'] == pytest.approx(0.5)
    assert m['num_expressions'] == 3 and m['num_actor_target'] == 1


def test_partial_overlap_j_and_missing_target_prediction():
    half = _box(8, 24, 8, 16)  # left half of BOX: J = 128 / 256
    m = _run([
        _sample('0', 'unidirectional', [BOX], [half], has_target=True,
                gt_targets=[BOX], pred_targets=None)
    ])
    assert m['Actor-Target/actor_J'] == pytest.approx(0.5)
    # no pred_target_mask written -> scored as an empty target
    assert m['Actor-Target/target_J'] == 0.0
    assert 'Referring/J' not in m  # empty group omitted


def test_errors_name_the_sample():
    bad = _sample('7', 'single', [BOX], [BOX])
    del bad['video_data_samples'][0]['pred_mask']
    with pytest.raises(KeyError, match='v/7'):
        _run([bad])
    bad = _sample('8', 'unidirectional', [BOX], [BOX], has_target=True)
    with pytest.raises(KeyError, match='gt_target_mask'):
        _run([bad])
