"""The WSRVOS Swin-T + RoBERTa-base model at real size, for the benchmarks.

Built from the user's ``configs/wsrvos_swin-t.py`` with random weights
(``pretrained=None``; RoBERTa-base built from its published config values,
no download), plus one Ref-YouTube-VOS-like sample and a timer. Shared by
``bench_wsrvos_forward.py`` and ``bench_wsrvos_inference.py``.
"""
import os.path as osp
import statistics
import sys
import time

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

ROBERTA_BASE = dict(
    model_type='roberta', hidden_size=768, num_hidden_layers=12,
    num_attention_heads=12, intermediate_size=3072,
    max_position_embeddings=514, type_vocab_size=1, pad_token_id=0,
    vocab_size=50265)
QUERY = 'a person riding a brown horse on the left'


def build_model():
    """The user's config with random weights (pretrained=None, config)."""
    from mmengine.config import Config

    import projects.WSRVOS.wsrvos  # noqa: F401
    import rvos_plugin  # noqa: F401
    from rvos_plugin.registry import MODELS
    cfg = Config.fromfile(osp.join(_REPO, 'configs', 'wsrvos_swin-t.py'))
    cfg.model.pop('data_preprocessor')
    cfg.model.vision_encoder.pretrained = None
    cfg.model.text_encoder.model_path = None
    cfg.model.text_encoder.config = ROBERTA_BASE
    return MODELS.build(cfg.model)


def make_samples(T, H, W, P=6, N=48):
    """One video sample: the query, P positives and N negatives."""
    from mmdet.structures import DetDataSample, TrackDataSample
    track = TrackDataSample(metainfo=dict(
        video_id='bench', exp_id='0', expression=QUERY,
        positive_texts=[f'{QUERY}, seen from view {i}' for i in range(P)],
        positive_confidences=[1.0] * P,
        negative_texts=[f'a dog sleeping on a red sofa number {i}'
                        for i in range(N)],
        img_shape=(H, W), ori_shape=(H, W)))
    track.video_data_samples = [
        DetDataSample(metainfo=dict(frame_id=t, img_shape=(H, W),
                                    ori_shape=(H, W))) for t in range(T)]
    return [track]


def timeit(fn, repeats):
    """Seconds of ``fn()`` after one warm-up call: ``(median, min)``."""
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)
