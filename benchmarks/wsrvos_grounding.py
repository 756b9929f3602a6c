"""WSRVOS grounding diagnostics on a validation subset (text-only model).

Per frame: *pointing* (the argmax token of the test-time map falls inside the
ground-truth referent, upsampled to the original size), the chance rate of
that (referent area), and the predicted vs ground-truth foreground fraction.
Usage:
    python benchmarks/wsrvos_grounding.py CONFIG CKPT [--num 60]
"""
import argparse

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint

from rvos_plugin.structures.rvos_sample import stack_frame_masks


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('config')
    ap.add_argument('checkpoint')
    ap.add_argument('--num', type=int, default=60)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = Config.fromfile(args.config)
    cfg.work_dir = '/tmp/wsrvos_grounding'
    cfg.test_dataloader.dataset.indices = args.num
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    runner = Runner.from_cfg(cfg)
    model = runner.model.eval()
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    hit = chance = pred_fg = gt_fg = frames = 0.0
    with torch.no_grad():
        for data in runner.test_dataloader:
            data = model.data_preprocessor(data, False)
            inputs, samples = data['inputs'], data['data_samples']
            feats = model._query_features(inputs, samples)
            if model.test_mode_presence:
                score = model.presence_head.token_logits(
                    feats['raw_sim'][..., 0])
            else:
                score = feats['sim'][..., 0]
            out = model.predict(inputs, samples)
            for b, sample in enumerate(out):
                gt = stack_frame_masks(sample, 'gt_mask').bool()  # T,H,W
                pred = stack_frame_masks(sample, 'pred_mask').bool()
                T, H, W = gt.shape
                s = score[b].reshape(T, 1, *feats['grid'])
                h, w = sample.metainfo['img_shape'][:2]
                s = F.interpolate(s, size=inputs.shape[-2:], mode='nearest')
                s = F.interpolate(s[..., :h, :w], size=(H, W),
                                  mode='nearest')[:, 0]
                arg = s.flatten(1).argmax(1)
                hit += gt.flatten(1).gather(1, arg[:, None]).float().sum()
                chance += gt.float().mean((1, 2)).sum()
                pred_fg += pred.float().mean((1, 2)).sum()
                gt_fg += gt.float().mean((1, 2)).sum()
                frames += T
    print(f'samples {args.num}, frames {int(frames)}: pointing '
          f'{100 * hit / frames:.1f} % (chance {100 * chance / frames:.1f} %)'
          f', predicted fg {100 * pred_fg / frames:.1f} % of the frame, '
          f'ground truth {100 * gt_fg / frames:.1f} %')


if __name__ == '__main__':
    main()
