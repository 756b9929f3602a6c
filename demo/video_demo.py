"""Segment what sentences refer to in your own video.

    python demo/video_demo.py VIDEO "expression" ["another" ...] \
        --config baseline --out-dir work_dirs/demo

VIDEO: an mp4 (any file decord reads), a folder of frames or an image.
--config: a config path, a config file name, or a quickstart alias
(baseline | wsrvos | reviosa: its checkpoint defaults to the quickstart's).
Writes OUT_DIR/masks/<exp>/<frame>.png, masks.json (pycocotools RLE, MeViS
mask_dict layout) + meta_expressions.json, overlay.mp4 (--gif: overlay.gif)
and summary.json. docs/inference.md has the details.
"""
import argparse
import os.path as osp
import sys

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video', help='video file, frame folder or image')
    parser.add_argument('expressions', nargs='+',
                        help='one or more referring expressions')
    parser.add_argument('--config', required=True,
                        help='config path / name or quickstart alias')
    parser.add_argument('--checkpoint', help='checkpoint (.pth)')
    parser.add_argument('--out-dir', default='work_dirs/demo',
                        help='output folder')
    parser.add_argument('--device', help='cuda, cuda:1, cpu (default: auto)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='expressions per forward pass')
    parser.add_argument('--window-size', type=int, default=32,
                        help='frames per forward pass (bounds memory)')
    parser.add_argument('--frame-stride', type=int, default=1,
                        help='segment every k-th frame')
    parser.add_argument('--gif', action='store_true',
                        help='also write overlay.gif')
    parser.add_argument('--no-png', action='store_true',
                        help='skip the per-frame mask PNGs')
    parser.add_argument('--overlay-min-size', type=int, default=360,
                        help='upscale small videos in the overlay')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE', help='config overrides')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from rvos_plugin.utils.cli_config import parse_cfg_options
    from rvos_plugin.apis import RVOSInferencer
    from rvos_plugin.apis.segment_video import segment_video
    options = parse_cfg_options(args.cfg_options)
    inferencer = RVOSInferencer(args.config, args.checkpoint,
                                device=args.device,
                                window_size=args.window_size,
                                cfg_options=options)
    summary = segment_video(
        inferencer, args.video, args.expressions, args.out_dir,
        batch_size=args.batch_size, frame_stride=args.frame_stride,
        gif=args.gif, overlay_min_size=args.overlay_min_size,
        write_pngs=not args.no_png)
    print(f'{summary["segmented_frames"]} frames -> '
          f'{osp.join(args.out_dir, "overlay.mp4")}')
    for item in summary['expressions']:
        answer = (f'  answer: {item["answers"][0]!r}'
                  if item.get('answers') else '')
        print(f'  "{item["expression"]}": mask in '
              f'{item["frames_with_mask"]}/{summary["segmented_frames"]} '
              f'frames{answer}')
    return summary


if __name__ == '__main__':
    main()
