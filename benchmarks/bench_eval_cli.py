"""Benchmark: the evaluation CLI end to end vs the official algorithms.

Issue 23. Every arm is a whole process, from interpreter start to its JSON:

DAVIS-sized set (20 videos, ~1,376 frames, 480x854; GT palette PNGs as in
DAVIS ``Annotations``, predictions 0/255 PNGs written by PIL as the released
inference scripts do; masks = the real SA-V masklets in ``../shared/data``
rotated, resized and shifted, prediction = the object 3 frames later,
shifted by a few pixels):

  (a) ``official``: the official per-frame algorithm in a fresh plain
      numpy + PIL process (the literal ``davis_reference.py`` functions, or
      ``--official-src`` = a ``metrics.py`` with ``db_eval_iou`` /
      ``db_eval_boundary`` such as MeViS ``tools/metrics.py``), one process;
  (b) ``official-2w``: the MeViS-style multiprocessing pattern of the
      official scripts (``mp.Queue`` of videos, 2 ``mp.Process`` workers,
      ``Manager`` dicts; (T, H, W) ``db_eval_iou`` + per-frame boundary);
  (c) ``ours-1`` / ``ours-2``: ``tools/analysis_tools/eval_masks.py``
      ``--nproc 1`` / ``--nproc 2``.

MeViS-format split (``--mevis-expressions`` 2,000; mask_dict RLE GT,
prediction PNG folders): (b') the official ``eval_mevis.py`` logic re-run
(2 workers, its Queue / Manager pattern, cv2 decoding) vs (c) eval_masks.py
``--mevis-meta`` with ``--nproc 1`` / ``2``.

Reports medians of ``--runs`` runs (interleaved, so all arms see the same
load) of the wall time and of the user+sys CPU time of the process tree
(less sensitive to other jobs on a shared machine), the split into start-up
/ decode / metric (CPU seconds, measured in this process), the ratios and
the max |difference| of the per-video / per-expression J and F.

Usage (heavy: run it alone)::

    flock /tmp/rvos_heavy.lock python benchmarks/bench_eval_cli.py \\
        [--runs 5] [--work /tmp/bench_eval_cli] [--official-src PATH]
"""
import argparse
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time

import cv2
import numpy as np
from PIL import Image

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis_tools'))
from light_eval_imports import import_functional  # noqa: E402

import_functional()
from rvos_plugin.evaluation.functional import davis_reference  # noqa: E402
from rvos_plugin.evaluation.functional.davis import (  # noqa: E402
    boundary_radius, frame_jf)
from rvos_plugin.evaluation.functional.mask_io import \
    read_mask_png  # noqa: E402
from rvos_plugin.evaluation.functional.rle import (decode_rle,  # noqa: E402
                                                   encode_rle)

EVAL_MASKS = osp.join(ROOT, 'tools', 'analysis_tools', 'eval_masks.py')
SAV = osp.join(ROOT, '..', 'shared', 'data', 'sa-v_sav_000001_masklets')
H, W = 480, 854

# The official per-frame algorithm, plain numpy + PIL, one process.
OFFICIAL_PER_FRAME = r'''
import importlib.util, json, os, sys, time
import numpy as np
from PIL import Image
gt_dir, pred_dir, out, src = sys.argv[1:5]
spec = importlib.util.spec_from_file_location('metrics', src)
metrics = importlib.util.module_from_spec(spec); spec.loader.exec_module(metrics)
if hasattr(metrics, 'reference_iou'):
    iou, boundary = metrics.reference_iou, metrics.reference_boundary
else:  # an official metrics.py: (annotation, segmentation) order
    iou = metrics.db_eval_iou
    boundary = lambda g, p: metrics.db_eval_boundary(g, p)
per_video = {}
for video in sorted(os.listdir(gt_dir)):
    js, fs = [], []
    for name in sorted(os.listdir(os.path.join(gt_dir, video))):
        gt = np.array(Image.open(os.path.join(gt_dir, video, name))) != 0
        path = os.path.join(pred_dir, video, name)
        pred = (np.array(Image.open(path)) != 0 if os.path.exists(path)
                else np.zeros_like(gt))
        js.append(float(iou(gt, pred))); fs.append(float(boundary(gt, pred)))
    per_video[video] = {'J': float(np.mean(js)), 'F': float(np.mean(fs))}
j = float(np.mean([v['J'] for v in per_video.values()]))
f = float(np.mean([v['F'] for v in per_video.values()]))
json.dump({'J': j, 'F': f, 'J&F': (j + f) / 2, 'per_video': per_video},
          open(out, 'w'))
'''

# The MeViS-style pattern: Queue, 2 worker processes, Manager dicts.
OFFICIAL_WORKERS = r'''
import importlib.util, json, os, sys
import multiprocessing as mp
import numpy as np
import cv2
from PIL import Image
mode, out, src, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
spec = importlib.util.spec_from_file_location('metrics', src)
metrics = importlib.util.module_from_spec(spec); spec.loader.exec_module(metrics)
if hasattr(metrics, 'reference_iou'):
    def db_eval_iou(gt, pred):  # MeViS: vectorised over (T, H, W)
        gt, pred = gt.astype(bool), pred.astype(bool)
        inters = np.sum(pred & gt, axis=(-2, -1))
        union = np.sum(pred | gt, axis=(-2, -1))
        j = inters / np.maximum(union, 1)
        j[np.isclose(union, 0)] = 1
        return j
    def db_eval_boundary(gt, pred):
        return np.array([metrics.reference_boundary(g, p)
                         for g, p in zip(gt, pred)])
else:
    db_eval_iou, db_eval_boundary = metrics.db_eval_iou, metrics.db_eval_boundary
if mode == 'folders':
    gt_dir, pred_dir = sys.argv[5:7]
    items = sorted(os.listdir(gt_dir))
else:
    meta, mask_path, pred_dir = sys.argv[5:8]
    exp_dict = json.load(open(meta))['videos']
    mask_dict = json.load(open(mask_path))
    from pycocotools import mask as cocomask
    items = [(v, e) for v in exp_dict for e in exp_dict[v]['expressions']]

def eval_queue(q, out_dict):
    while not q.empty():
        item = q.get()
        if mode == 'folders':
            names = sorted(os.listdir(os.path.join(gt_dir, item)))
            gt = np.stack([np.array(Image.open(os.path.join(gt_dir, item, n)))
                           for n in names])
            pred = np.stack([cv2.imread(os.path.join(pred_dir, item, n),
                                        cv2.IMREAD_GRAYSCALE) for n in names])
            key = item
        else:
            vid_name, exp = item
            vid = exp_dict[vid_name]
            frames = vid['frames']
            pred_0 = cv2.imread(f'{pred_dir}/{vid_name}/{exp}/{frames[0]}.png',
                                cv2.IMREAD_GRAYSCALE)
            h, w = pred_0.shape
            gt = np.zeros((len(frames), h, w), dtype=np.uint8)
            pred = np.zeros((len(frames), h, w), dtype=np.uint8)
            for frame_idx, frame_name in enumerate(frames):
                for anno_id in vid['expressions'][exp]['anno_id']:
                    mask_rle = mask_dict[str(anno_id)][frame_idx]
                    if mask_rle:
                        gt[frame_idx] += cocomask.decode(mask_rle)
                pred[frame_idx] = cv2.imread(
                    f'{pred_dir}/{vid_name}/{exp}/{frame_name}.png',
                    cv2.IMREAD_GRAYSCALE)
            key = f'{vid_name}/{exp}'
        j = db_eval_iou(gt != 0, pred != 0).mean()
        f = db_eval_boundary(gt != 0, pred != 0).mean()
        out_dict[key] = [float(j), float(f)]

if __name__ == '__main__':
    queue = mp.Queue()
    if mode != 'folders':
        shared_exp_dict = mp.Manager().dict(exp_dict)
        shared_mask_dict = mp.Manager().dict(mask_dict)
    output_dict = mp.Manager().dict()
    for item in items:
        queue.put(item)
    processes = [mp.Process(target=eval_queue, args=(queue, output_dict))
                 for _ in range(workers)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    result = dict(output_dict)
    j = float(np.mean([v[0] for v in result.values()]))
    f = float(np.mean([v[1] for v in result.values()]))
    key = 'per_video' if mode == 'folders' else 'per_expression'
    json.dump({'J': j, 'F': f, 'J&F': (j + f) / 2,
               key: {k: {'J': v[0], 'F': v[1]} for k, v in result.items()}},
              open(out, 'w'))
'''


def sav_tracks():
    """The 14 SA-V masklets (5 manual + 9 automatic), (121, 848, 480)."""
    tracks = []
    for name in ('sav_000001_manual.json', 'sav_000001_auto.json'):
        with open(osp.join(SAV, name)) as f:
            masklet = json.load(f)['masklet']
        for obj in range(len(masklet[0])):
            tracks.append(np.stack([
                decode_rle(masklet[t][obj], source=f'{name} obj {obj} t {t}')
                for t in range(len(masklet))]))
    return tracks


def place(mask, shape, scale, shift):
    """Rotate a portrait SA-V mask, resize it and shift it into ``shape``."""
    rotated = np.ascontiguousarray(mask.T).view(np.uint8)
    h = max(1, int(round(rotated.shape[0] * scale)))
    w = max(1, int(round(rotated.shape[1] * scale)))
    small = cv2.resize(rotated, (w, h), interpolation=cv2.INTER_NEAREST)
    canvas = np.zeros(shape, np.uint8)
    dy, dx = shift
    y0, x0 = max(dy, 0), max(dx, 0)
    y1, x1 = min(dy + h, shape[0]), min(dx + w, shape[1])
    if y1 > y0 and x1 > x0:
        canvas[y0:y1, x0:x1] = small[y0 - dy:y1 - dy, x0 - dx:x1 - dx]
    return canvas != 0


def bounce(index, length):
    period = 2 * (length - 1)
    index %= period
    return index if index < length else period - index


def write_palette(path, mask):
    image = Image.fromarray(mask.astype(np.uint8), mode='L').convert('P')
    image.putpalette([0, 0, 0, 128, 0, 0] + [0] * 762)  # DAVIS colours
    image.save(path)


def write_gray(path, mask):
    Image.fromarray(mask.astype(np.uint8) * 255).save(path)  # mask_save


def build_davis(work, tracks, rng, videos=20, frames_total=1376):
    gt_dir, pred_dir = osp.join(work, 'davis', 'gt'), osp.join(work, 'davis',
                                                                'pred')
    if osp.isdir(pred_dir):
        return gt_dir, pred_dir
    counts = rng.integers(50, 90, videos)
    counts = np.round(counts * frames_total / counts.sum()).astype(int)
    counts[-1] += frames_total - counts.sum()
    for v, count in enumerate(counts):
        track = tracks[v % len(tracks)]
        scale = rng.uniform(0.45, 1.0)
        shift = (int(rng.integers(-60, 120)), int(rng.integers(-60, 300)))
        start = int(rng.integers(0, 100))
        for folder in (gt_dir, pred_dir):
            os.makedirs(osp.join(folder, f'video{v:02d}'), exist_ok=True)
        for t in range(count):
            name = f'video{v:02d}/{t:05d}.png'
            gt = place(track[bounce(start + t, len(track))], (H, W), scale,
                       shift)
            jitter = (shift[0] + int(rng.integers(-4, 5)),
                      shift[1] + int(rng.integers(-4, 5)))
            pred = place(track[bounce(start + t + 3, len(track))], (H, W),
                         scale, jitter)
            write_palette(osp.join(gt_dir, name), gt)
            write_gray(osp.join(pred_dir, name), pred)
    return gt_dir, pred_dir


def build_mevis(work, tracks, rng, expressions=2000, per_video=20,
                frames=6, shape=(240, 427)):
    root = osp.join(work, f'mevis{expressions}')
    meta, masks, pred_dir = (osp.join(root, 'meta_expressions.json'),
                             osp.join(root, 'mask_dict.json'),
                             osp.join(root, 'pred'))
    if osp.isfile(meta):
        return meta, masks, pred_dir
    videos, mask_dict, anno = {}, {}, 0
    for v in range(expressions // per_video):
        video = f'video{v:03d}'
        names = [f'{i:05d}' for i in range(frames)]
        objects = []
        for k in range(4):
            track = tracks[(v * 4 + k) % len(tracks)]
            scale = rng.uniform(0.2, 0.5)
            shift = (int(rng.integers(-40, 100)), int(rng.integers(-40, 250)))
            start = int(rng.integers(0, 100))
            objects.append([place(track[bounce(start + t, len(track))], shape,
                                  scale, shift) for t in range(frames + 3)])
            mask_dict[str(anno + k)] = [
                encode_rle(m) if m.any() else None for m in objects[-1][:frames]]
        expressions_of_video = {}
        for e in range(per_video):
            chosen = sorted(rng.choice(4, size=1 + e % 2, replace=False))
            expressions_of_video[str(e)] = {
                'exp': f'expression {e}',
                'anno_id': [anno + int(k) for k in chosen]}
            folder = osp.join(pred_dir, video, str(e))
            os.makedirs(folder, exist_ok=True)
            for t, name in enumerate(names):
                pred = np.zeros(shape, bool)
                for k in chosen:
                    pred |= np.roll(objects[k][t + e % 3],
                                    int(rng.integers(-3, 4)), axis=1)
                write_gray(osp.join(folder, f'{name}.png'), pred)
        videos[video] = {'frames': names, 'expressions': expressions_of_video}
        anno += 4
    with open(meta, 'w') as f:
        json.dump({'videos': videos}, f)
    with open(masks, 'w') as f:
        json.dump(mask_dict, f)
    return meta, masks, pred_dir


def timed_run(argv):
    """(wall s, user+sys CPU s of the process tree) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode:
        raise RuntimeError(f'{argv} failed:\n{run.stderr[-2000:]}')
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                                before.ru_stime)
    return wall, cpu


def max_diff(a, b, key):
    first, second = a[key], b[key]
    if set(first) != set(second):
        raise AssertionError(f'{key}: different items')
    return max(max(abs(first[k]['J'] - second[k]['J']),
                   abs(first[k]['F'] - second[k]['F'])) for k in first)


def measure(arms, runs, work):
    """Interleaved runs of every arm; medians and the JSON outputs."""
    times = {name: [] for name in arms}
    for _ in range(runs):
        for name, argv in arms.items():
            times[name].append(timed_run(argv))
    outputs = {}
    for name, argv in arms.items():
        with open(next(a for a in argv if a.endswith('.json')
                       and osp.basename(a).startswith('out_'))) as f:
            outputs[name] = json.load(f)
    return {name: (statistics.median(w for w, _ in values),
                   statistics.median(c for _, c in values))
            for name, values in times.items()}, outputs


def split_davis(gt_dir, pred_dir, reference):
    """CPU seconds of decoding and scoring, per arm, in this process."""
    pairs = [(osp.join(gt_dir, v, n), osp.join(pred_dir, v, n))
             for v in sorted(os.listdir(gt_dir))
             for n in sorted(os.listdir(osp.join(gt_dir, v)))]
    clock = time.process_time
    t = clock()
    pil = [(np.array(Image.open(g)) != 0, np.array(Image.open(p)) != 0)
           for g, p in pairs]
    pil_decode = clock() - t
    t = clock()
    ours = [(read_mask_png(g), read_mask_png(p)) for g, p in pairs]
    our_decode = clock() - t
    t = clock()
    for g, p in pil[:300]:
        reference.reference_iou(g, p), reference.reference_boundary(g, p)
    ref_metric = (clock() - t) * len(pairs) / min(300, len(pairs))
    radius = boundary_radius((H, W))
    t = clock()
    for g, p in ours:
        frame_jf(g, p, radius)
    our_metric = clock() - t
    return dict(frames=len(pairs), official_decode=pil_decode,
                ours_decode=our_decode, official_metric=ref_metric,
                ours_metric=our_metric)


def startup(argv):
    return statistics.median(timed_run(argv)[1] for _ in range(3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work', default='/tmp/bench_eval_cli')
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--official-src', help='an official metrics.py '
                        '(db_eval_iou, db_eval_boundary); default: the '
                        'literal davis_reference.py')
    parser.add_argument('--videos', type=int, default=20)
    parser.add_argument('--frames-total', type=int, default=1376)
    parser.add_argument('--mevis-expressions', type=int, default=2000)
    parser.add_argument('--skip-mevis', action='store_true')
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    src = osp.abspath(args.official_src or davis_reference.__file__)
    scripts = {}
    for name, text in (('official_per_frame.py', OFFICIAL_PER_FRAME),
                       ('official_workers.py', OFFICIAL_WORKERS)):
        scripts[name] = osp.join(args.work, name)
        with open(scripts[name], 'w') as f:
            f.write(text)
    rng = np.random.default_rng(0)
    tracks = sav_tracks()
    gt_dir, pred_dir = build_davis(args.work, tracks, rng, args.videos,
                                   args.frames_total)
    py, out = sys.executable, osp.join(args.work, 'out_{}.json')
    arms = {
        'official': [py, scripts['official_per_frame.py'], gt_dir, pred_dir,
                     out.format('a'), src],
        'official-2w': [py, scripts['official_workers.py'], 'folders',
                        out.format('b'), src, '2', gt_dir, pred_dir],
        'ours-1': [py, EVAL_MASKS, gt_dir, pred_dir, '--nproc', '1',
                   '--no-progress', '--out', out.format('c1')],
        'ours-2': [py, EVAL_MASKS, gt_dir, pred_dir, '--nproc', '2',
                   '--no-progress', '--out', out.format('c2')],
    }
    report = {'machine': {'load_average_start': os.getloadavg(),
                          'cores': os.cpu_count()}}
    medians, outputs = measure(arms, args.runs, args.work)
    report['davis'] = {
        'medians_wall_cpu_s': medians,
        'ratio_wall': {
            'official/ours-1': medians['official'][0] / medians['ours-1'][0],
            'official-2w/ours-2': medians['official-2w'][0] /
            medians['ours-2'][0]},
        'ratio_cpu': {
            'official/ours-1': medians['official'][1] / medians['ours-1'][1],
            'official-2w/ours-2': medians['official-2w'][1] /
            medians['ours-2'][1]},
        'max_abs_diff': {name: max_diff(outputs['official'], outputs[name],
                                        'per_video')
                         for name in ('official-2w', 'ours-1', 'ours-2')},
        'J&F': outputs['ours-1']['J&F'],
        'startup_cpu_s': {
            'official': startup([py, '-c', 'import numpy, cv2; '
                                 'from PIL import Image']),
            'ours': startup([py, EVAL_MASKS, '--help'])},
        'split_cpu_s': split_davis(gt_dir, pred_dir, davis_reference),
    }
    if not args.skip_mevis:
        meta, masks, mevis_pred = build_mevis(args.work, tracks, rng,
                                              args.mevis_expressions)
        arms = {
            'official-2w': [py, scripts['official_workers.py'], 'mevis',
                            out.format('mb'), src, '2', meta, masks,
                            mevis_pred],
            'ours-1': [py, EVAL_MASKS, mevis_pred, '--mevis-meta', meta,
                       '--mask-dict', masks, '--nproc', '1',
                       '--no-progress', '--out', out.format('mc1')],
            'ours-2': [py, EVAL_MASKS, mevis_pred, '--mevis-meta', meta,
                       '--mask-dict', masks, '--nproc', '2',
                       '--no-progress', '--out', out.format('mc2')],
        }
        medians, outputs = measure(arms, args.runs, args.work)
        report['mevis'] = {
            'expressions': args.mevis_expressions,
            'medians_wall_cpu_s': medians,
            'ratio_wall': {
                'official-2w/ours-1': medians['official-2w'][0] /
                medians['ours-1'][0],
                'official-2w/ours-2': medians['official-2w'][0] /
                medians['ours-2'][0]},
            'ratio_cpu': {
                'official-2w/ours-1': medians['official-2w'][1] /
                medians['ours-1'][1],
                'official-2w/ours-2': medians['official-2w'][1] /
                medians['ours-2'][1]},
            'max_abs_diff': {
                name: max_diff(outputs['official-2w'], outputs[name],
                               'per_expression')
                for name in ('ours-1', 'ours-2')},
        }
    report['machine']['load_average_end'] = os.getloadavg()
    print(json.dumps(report, indent=2))
    with open(osp.join(args.work, 'report.json'), 'w') as f:
        json.dump(report, f, indent=2)


if __name__ == '__main__':
    main()
