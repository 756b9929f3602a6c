"""Single-thread CPU timings of the supervised baseline and its encoders.

Measures: EfficientNet-Lite0 per frame (96 and 224 px), MiniLM-L6 per batch
of 4 expressions, one training step of ``RVOSSupervisedBaseline`` (B=4, T=4,
96 px) and one predict call on a 12-frame clip. Random inputs, real weights.
Prints a markdown table; ``--append`` adds it to benchmarks/baseline_model.md.
Timings on a shared machine vary with its load: the load average is printed.

Usage: python benchmarks/bench_baseline_model.py [--repeats 5] [--append]
"""
import argparse
import os
import os.path as osp
import platform
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODEL_CFG = osp.join(REPO, 'configs/_base_/models/'
                     'rvos-baseline_effnet-lite0_minilm-l6.py')


def timed(fn, repeats):
    """Median seconds of ``fn()`` over ``repeats`` runs (after a warm-up)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def make_batch(model, b, t, size, texts):
    from mmdet.structures import DetDataSample, TrackDataSample
    from mmengine.structures import PixelData
    inputs, samples = [], []
    for i in range(b):
        frames = []
        for j in range(t):
            frame = DetDataSample(metainfo=dict(
                frame_id=j, img_shape=(size, size), ori_shape=(size, size)))
            mask = torch.zeros(1, size, size, dtype=torch.uint8)
            mask[0, 10:40, 10 + j:40 + j] = 1
            frame.gt_mask = PixelData(data=mask)
            frames.append(frame)
        sample = TrackDataSample()
        sample.video_data_samples = frames
        sample.set_metainfo(dict(
            video_id=f'v{i}', exp_id='0', expression=texts[i % len(texts)],
            img_shape=(size, size), ori_shape=(size, size)))
        samples.append(sample)
        inputs.append(torch.randint(0, 255, (t, 3, size, size),
                                    dtype=torch.uint8))
    return dict(inputs=inputs, data_samples=samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--append', action='store_true')
    args = parser.parse_args()
    torch.set_num_threads(1)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import rvos_plugin  # noqa: F401
    from rvos_plugin.registry import MODELS
    init_default_scope('mmdet')
    texts = ['the big red circle moving left', 'a small blue square',
             'the star that is pushed by the triangle', 'two green objects']
    start = time.perf_counter()
    model = MODELS.build(Config.fromfile(MODEL_CFG).model)
    build_s = time.perf_counter() - start
    rows = [('build model (both real encoders)', f'{build_s:.2f} s')]
    backbone = model.backbone
    with torch.no_grad():
        for size in (96, 224):
            x = torch.randn(16, 3, size, size)
            sec = timed(lambda: backbone(x), args.repeats)
            rows.append((f'EfficientNet-Lite0, 16 frames @{size}px',
                         f'{sec * 1e3 / 16:.1f} ms/frame'))
        sec = timed(lambda: model.text_encoder(texts), args.repeats)
        rows.append(('MiniLM-L6, 4 expressions', f'{sec * 1e3:.1f} ms'))
    model.train()
    data = model.data_preprocessor(make_batch(model, 4, 4, 96, texts), True)
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=1e-3)

    def step():
        optim.zero_grad()
        sum(model(**data, mode='loss').values()).backward()
        optim.step()

    sec = timed(step, args.repeats)
    rows.append(('train step B=4 T=4 96px (fwd+bwd+AdamW)',
                 f'{sec * 1e3:.0f} ms'))
    model.eval()
    model.test_cfg['feat_cache_size'] = 0
    clip = model.data_preprocessor(make_batch(model, 1, 12, 96, texts))
    with torch.no_grad():
        sec = timed(lambda: model(**clip, mode='predict'), args.repeats)
    rows.append(('predict 1 clip T=12 96px, no feature cache',
                 f'{sec * 1e3:.0f} ms'))
    trainable = sum(p.numel() for p in params)
    frozen = sum(p.numel() for p in model.parameters()) - trainable
    rows.append(('parameters trainable / frozen',
                 f'{trainable / 1e6:.2f} M / {frozen / 1e6:.2f} M'))
    load = os.getloadavg()[0]
    lines = [
        f'\n## Baseline model timings ({platform.machine()}, '
        f'{os.cpu_count()} cores shared, load avg {load:.1f}, 1 thread)\n',
        'Command: `python benchmarks/bench_baseline_model.py`\n',
        '| what | result |', '|---|---|'
    ] + [f'| {a} | {b} |' for a, b in rows]
    text = '\n'.join(lines) + '\n'
    print(text)
    if args.append:
        with open(osp.join(REPO, 'benchmarks', 'baseline_model.md'),
                  'a') as f:
            f.write(text)


if __name__ == '__main__':
    main()
