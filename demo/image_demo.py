"""Segment what sentences refer to in one image (a one-frame video).

    python demo/image_demo.py IMAGE "expression" ["another" ...] \
        --config baseline --out-file work_dirs/demo/image.jpg

Writes the drawn image (--out-file) and, beside it, one mask PNG per
expression (``<stem>_<i>.png``; ReVIOsA also ``<stem>_<i>_target.png``).
"""
import argparse
import os
import os.path as osp
import sys

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('image', help='image file')
    parser.add_argument('expressions', nargs='+', help='expression(s)')
    parser.add_argument('--config', required=True,
                        help='config path / name or quickstart alias')
    parser.add_argument('--checkpoint', help='checkpoint (.pth)')
    parser.add_argument('--out-file', default='work_dirs/demo/image.jpg')
    parser.add_argument('--device', help='cuda, cpu (default: auto)')
    parser.add_argument('--show', action='store_true',
                        help='also show the result in a window')
    parser.add_argument('--min-size', type=int, default=360,
                        help='upscale small images for the drawing')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import cv2

    from rvos_plugin.apis import RVOSInferencer, open_video
    from rvos_plugin.evaluation.functional.mask_io import write_mask_png
    from rvos_plugin.visualization import RVOSLocalVisualizer
    source = open_video(args.image)
    inferencer = RVOSInferencer(args.config, args.checkpoint,
                                device=args.device, show_progress=False)
    out = inferencer(source, args.expressions)
    preds = out['predictions']
    visualizer = RVOSLocalVisualizer(name='image_demo',
                                     min_size=args.min_size)
    drawn = visualizer.draw_expressions(
        source.read([0])[0], args.expressions, [p['masks'][0] for p in preds],
        [p['target_masks'][0] if 'target_masks' in p else None
         for p in preds], [p.get('text') for p in preds],
        reviosa=inferencer.is_reviosa)
    os.makedirs(osp.dirname(osp.abspath(args.out_file)), exist_ok=True)
    cv2.imwrite(args.out_file, drawn[..., ::-1])
    stem = osp.splitext(args.out_file)[0]
    for i, pred in enumerate(preds):
        write_mask_png(f'{stem}_{i}.png', pred['masks'][0])
        if 'target_masks' in pred:
            write_mask_png(f'{stem}_{i}_target.png', pred['target_masks'][0])
        answer = f', answer {pred["text"]!r}' if 'text' in pred else ''
        print(f'"{pred["expression"]}": {int(pred["masks"][0].sum())} mask '
              f'pixels, score {pred["score"]:.3f}{answer}')
    print(f'-> {args.out_file}')
    if args.show:
        visualizer.show(drawn, win_name='image_demo')
    return out


if __name__ == '__main__':
    main()
