"""Time the full WSRVOS Swin-T model on a 4x360x640 clip on CPU.

Random weights (``pretrained=None``; RoBERTa-base architecture built from a
config), one thread by default. Times the inference forward (``tensor`` mode:
one expression) and the training step (``loss`` mode with P + N = 54
expressions, forward + backward).

Usage::

    python benchmarks/bench_wsrvos_forward.py [--threads 1] [--repeats 3]
        [--skip-train]
"""
import argparse
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
    max_position_embeddings=514, type_vocab_size=1, pad_token_id=0)


def build_model():
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
    from mmdet.structures import DetDataSample, TrackDataSample
    track = TrackDataSample(metainfo=dict(
        video_id='bench', exp_id='0', expression='a person riding a horse',
        positive_texts=[f'a person riding a brown horse, view {i}'
                        for i in range(P)],
        positive_confidences=[1.0] * P,
        negative_texts=[f'a dog sleeping on a red sofa number {i}'
                        for i in range(N)],
        img_shape=(H, W), ori_shape=(H, W)))
    track.video_data_samples = [
        DetDataSample(metainfo=dict(frame_id=t, img_shape=(H, W),
                                    ori_shape=(H, W))) for t in range(T)
    ]
    return [track]


def timeit(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--skip-train', action='store_true')
    args = parser.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    T, H, W = 4, 360, 640
    model = build_model()
    x = torch.randn(1, T, 3, H, W)
    samples = make_samples(T, H, W)
    model.eval()

    def infer():
        with torch.no_grad():
            model(x, samples, mode='tensor')

    med, best = timeit(infer, args.repeats)
    print(f'inference forward (tensor mode, 1 expression), {T}x{H}x{W}, '
          f'{args.threads} thread(s): median {med:.2f} s, min {best:.2f} s '
          f'({T / med:.2f} frames/s)')
    if not args.skip_train:
        model.train()

        def step():
            losses = model(x, samples, mode='loss')
            sum(v for k, v in losses.items() if 'loss' in k).backward()
            model.zero_grad(set_to_none=True)

        med, best = timeit(step, max(1, args.repeats - 1))
        print(f'training step (loss mode, P+N=54, forward+backward): median '
              f'{med:.2f} s, min {best:.2f} s')


if __name__ == '__main__':
    main()
