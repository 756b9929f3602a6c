"""WSRVOS inference as the paper says (Sec. 3.7) vs the released code's way.

The Swin-T + RoBERTa-base model of ``configs/wsrvos_swin-t.py`` at its real
sizes (random init, built offline from the configs: no download), on CPU:

1. one query, 4x360x640: ``predict`` runs the text side on the query alone;
   (and the Video-Swin-T alone, the part both ways share);
2. the same model and clip running 54 slots as the released code's ``infer``
   does (the query as the P = 6 positives, padded by the original
   expression, and 48 empty negatives -- one-token stand-ins here, the
   plugin's tokenizer refuses empty text -- the video conditioned on the
   positives), then the same post-processing;
3. a 29-frame 360x640 video through ``predict`` in windows of
   ``model.inference_window`` frames: peak RSS of a fresh process;
4. the trainable parameter count, and the parameters left without a gradient
   after one training step (P + N = 54 slots, a small clip).

Run heavy: ``flock /tmp/rvos_heavy.lock python benchmarks/bench_wsrvos_inference.py``.
Prints both ratios (time 54 slots / time one query; peak RSS / 4 GB).
"""
import argparse
import json
import os.path as osp
import resource
import subprocess
import sys
import time

_HERE = osp.dirname(osp.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from wsrvos_real_size import build_model, make_samples, timeit  # noqa: E402


def released_way(model):
    """Replace the query-only text side by the released code's 54 slots."""
    import torch
    P, N = model.num_positives, model.num_negatives

    def features(frames, data_samples):
        texts = [[s.metainfo['expression']] * P + ['.'] * N
                 for s in data_samples]
        cond = torch.zeros(len(texts), P + N, dtype=torch.bool,
                           device=frames.device)
        cond[:, :P] = True  # the released code: the video sees positives
        return model.forward_features(frames, texts, cond)

    model._query_features = features


def long_video_rss(threads, frames):
    """Child process: predict on a ``frames``x360x640 video, peak RSS (GB)."""
    import torch
    torch.set_num_threads(threads)
    model = build_model().eval()
    x = torch.randn(1, frames, 3, 360, 640)
    t0 = time.perf_counter()
    with torch.no_grad():
        model.predict(x, make_samples(frames, 360, 640))
    took = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps(dict(rss_gb=rss, seconds=took,
                          window=model.inference_window)))


def parameter_report():
    """Trainable parameters and those without a gradient after one step."""
    import torch
    model = build_model().train()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    x = torch.randn(1, 2, 3, 96, 160)
    losses = model(x, make_samples(2, 96, 160), mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    dead = [n for n, p in trainable.items() if p.grad is None]
    return sum(p.numel() for p in trainable.values()), dead


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--long-frames', type=int, default=29)
    parser.add_argument('--child-long-video', action='store_true',
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_long_video:
        return long_video_rss(args.threads, args.long_frames)
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    T, H, W = 4, 360, 640
    x = torch.randn(1, T, 3, H, W)
    samples = make_samples(T, H, W)
    query_model = build_model().eval()
    slots_model = build_model().eval()
    slots_model.load_state_dict(query_model.state_dict())
    released_way(slots_model)

    def run(model):
        with torch.no_grad():
            model.predict(x, samples)

    def vision_only():
        enc = query_model.vision_encoder
        with torch.no_grad():
            h = enc.stem(x.flatten(0, 1), num_frames=T)
            for i in range(query_model.encoders.num_vision_blocks):
                h = enc.forward_block(i, h, num_frames=T)

    t_query = timeit(lambda: run(query_model), args.repeats)[0]
    t_slots = timeit(lambda: run(slots_model), args.repeats)[0]
    t_vision = timeit(vision_only, args.repeats)[0]
    del query_model, slots_model
    print(f'{T}x{H}x{W}, {args.threads} threads, median of {args.repeats}:')
    print(f'  one query (Sec. 3.7):              {t_query:6.2f} s')
    print(f'  54 slots (released code\'s way):    {t_slots:6.2f} s')
    print(f'  speed-up ratio 54 slots / 1 query: {t_slots / t_query:6.2f}x '
          '(goal >= 5x)')
    print(f'  Video-Swin-T alone on the clip:    {t_vision:6.2f} s (shared by '
          'both: no text-side saving can exceed '
          f'{t_slots / t_vision:.2f}x)')
    out = subprocess.run(
        [sys.executable, osp.abspath(__file__), '--child-long-video',
         '--threads', str(args.threads), '--long-frames',
         str(args.long_frames)], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print(f'{args.long_frames}x360x640 in windows of {res["window"]} frames: '
          f'peak RSS {res["rss_gb"]:.2f} GB, {res["seconds"]:.1f} s')
    print(f'  RSS ratio peak / 4 GB:            {res["rss_gb"] / 4:6.2f} '
          '(goal < 1; released code ~15 GB)')
    count, dead = parameter_report()
    print(f'trainable parameters: {count:,} ({count / 1e6:.1f} M; paper '
          f'31 M); without a gradient after one step: {len(dead)} '
          f'{dead[:5]}')


if __name__ == '__main__':
    main()
