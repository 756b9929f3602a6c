"""Web demo (Gradio): upload a video or pick an example, type expressions,
choose the model, get the overlay video, the masks and ReVIOsA's answer.

    python demo/web_demo.py                       # the quickstart models found
    python demo/web_demo.py --model baseline --model mine=CONFIG.py:CKPT.pth \
        --examples /path/to/clips --port 7860

``--model`` takes a quickstart alias (``baseline``, ``wsrvos``,
``reviosa``: checkpoint from ``work_dirs/quickstart/<alias>``) or
``NAME=CONFIG[:CHECKPOINT]``. Models are loaded on first use and kept.
Open http://127.0.0.1:7860 (``--host 0.0.0.0`` to serve other machines).
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
import threading
from typing import Dict, List, Optional, Sequence, Tuple

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm')


def parse_model_spec(spec: str) -> Tuple[str, str, Optional[str]]:
    """``alias`` or ``NAME=CONFIG[:CHECKPOINT]`` -> (name, config, ckpt)."""
    if '=' not in spec:
        return spec, spec, None
    name, rest = spec.split('=', 1)
    config, _, ckpt = rest.partition(':')
    return name, config, ckpt or None


def split_expressions(text: str) -> List[str]:
    """One expression per line or per ``;``."""
    parts = [p.strip() for line in (text or '').splitlines()
             for p in line.split(';')]
    return [p for p in parts if p]


class ModelPool:
    """Build each inferencer once, on first use (thread-safe).

    Args:
        specs (dict): name -> (config, checkpoint or None).
        device (str, optional): Device for every model (auto when None).
        cfg_options (dict, optional): Overrides for every config.
        window_size (int): Frames per forward pass.
    """

    def __init__(self, specs: Dict[str, Tuple[str, Optional[str]]],
                 device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 window_size: int = 32):
        self.specs = specs
        self.device, self.cfg_options = device, cfg_options or {}
        self.window_size = window_size
        self._models: dict = {}
        self._lock = threading.Lock()

    def get(self, name: str):
        from rvos_plugin.apis import RVOSInferencer
        if name not in self.specs:
            raise ValueError(f'Unknown model {name!r}; choose one of '
                             f'{sorted(self.specs)}.')
        with self._lock:
            if name not in self._models:
                config, ckpt = self.specs[name]
                self._models[name] = RVOSInferencer(
                    config, ckpt, device=self.device,
                    window_size=self.window_size,
                    cfg_options=dict(self.cfg_options), show_progress=False)
            return self._models[name]


def run_segmentation(pool: ModelPool, video: str, expressions: str,
                     model: str, frame_stride: int = 1,
                     work_root: Optional[str] = None) -> tuple:
    """What the Segment button does.

    Returns:
        tuple: (overlay mp4 path, zip of the masks, answer text, summary).
    """
    import gradio as gr

    from rvos_plugin.apis.segment_video import segment_video
    if not video:
        raise gr.Error('Upload a video or pick an example first.')
    exps = split_expressions(expressions)
    if not exps:
        raise gr.Error('Type at least one referring expression.')
    if work_root:
        os.makedirs(work_root, exist_ok=True)
    out_dir = tempfile.mkdtemp(prefix='rvos_web_', dir=work_root)
    summary = segment_video(pool.get(model), video, exps, out_dir,
                            frame_stride=int(frame_stride))
    archive = _zip_masks(out_dir)
    answers = [f'{item["expression"]}: {item["answers"][0]}'
               for item in summary['expressions'] if item.get('answers')]
    return (osp.join(out_dir, 'overlay.mp4'), archive,
            '\n'.join(answers) or '(this model generates no text)', summary)


def _zip_masks(out_dir: str) -> str:
    """``masks.zip``: masks.json, meta_expressions.json, summary.json and
    the PNG folders."""
    import zipfile
    path = osp.join(out_dir, 'masks.zip')
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as zf:
        for name in ('masks.json', 'meta_expressions.json', 'summary.json'):
            zf.write(osp.join(out_dir, name), name)
        for root, _, files in os.walk(osp.join(out_dir, 'masks')):
            for f in sorted(files):
                full = osp.join(root, f)
                zf.write(full, osp.relpath(full, out_dir))
    return path


def build_app(pool: ModelPool, examples: Sequence[str] = (),
              work_root: Optional[str] = None):
    """The Gradio Blocks app."""
    import gradio as gr
    names = list(pool.specs)
    with gr.Blocks(title='rvos_plugin: segment your own video') as app:
        gr.Markdown(
            '## Referring video object segmentation\nUpload a short video '
            '(or pick an example), type what to segment (one expression '
            'per line), choose a model and press **Segment**.')
        with gr.Row():
            with gr.Column():
                video = gr.Video(label='video', sources=['upload'],
                                 include_audio=True, elem_id='input_video')
                expressions = gr.Textbox(
                    label='expression(s)', lines=2, elem_id='expressions',
                    placeholder='the person jumping on the bed')
                model = gr.Dropdown(names, value=names[0], label='model',
                                    elem_id='model')
                stride = gr.Slider(1, 8, value=1, step=1,
                                   label='frame stride')
                button = gr.Button('Segment', variant='primary',
                                   elem_id='segment')
                if examples:
                    gr.Examples([[e] for e in examples], inputs=[video])
            with gr.Column():
                overlay = gr.Video(label='overlay', elem_id='overlay',
                                   interactive=False)
                masks = gr.File(label='masks (zip: masks.json in the MeViS '
                                'mask_dict layout, PNGs)', elem_id='masks')
                answer = gr.Textbox(label='generated answer (ReVIOsA)',
                                    elem_id='answer', interactive=False)
                summary = gr.JSON(label='summary', elem_id='summary')
        button.click(
            lambda v, e, m, s: run_segmentation(pool, v, e, m, s,
                                                work_root),
            inputs=[video, expressions, model, stride],
            outputs=[overlay, masks, answer, summary])
    return app


def default_specs() -> Dict[str, Tuple[str, Optional[str]]]:
    """The quickstart models whose checkpoints exist."""
    from rvos_plugin.apis.model_names import (QUICKSTART_CONFIGS,
                                              quickstart_checkpoint)
    return {alias: (alias, quickstart_checkpoint(alias))
            for alias in QUICKSTART_CONFIGS if quickstart_checkpoint(alias)}


def find_examples(paths: Sequence[str],
                  cache_dir: Optional[str] = None) -> List[str]:
    """Example videos; those browsers cannot play (e.g. cv2's mp4v, as
    the synthetic set's) are transcoded once to H.264 in ``cache_dir``."""
    found = []
    for path in paths:
        if osp.isdir(path):
            found += sorted(osp.join(path, f) for f in os.listdir(path)
                            if f.lower().endswith(VIDEO_EXTENSIONS))
        elif osp.isfile(path):
            found.append(path)
        else:
            raise FileNotFoundError(f'--examples {path!r} does not exist.')
    cache_dir = cache_dir or osp.join(tempfile.gettempdir(),
                                      'rvos_web_examples')
    return [browser_playable(p, cache_dir) for p in found]


def browser_playable(path: str, cache_dir: str) -> str:
    """``path`` if it is H.264 in mp4, else an H.264 copy in
    ``cache_dir``."""
    import av
    with av.open(path) as container:
        codec = container.streams.video[0].codec_context.name
    if path.lower().endswith('.mp4') and codec == 'h264':
        return path
    from rvos_plugin.apis import open_video
    from rvos_plugin.apis.export import write_h264
    out = osp.join(cache_dir, osp.splitext(osp.basename(path))[0] + '.mp4')
    if not osp.isfile(out) or osp.getmtime(out) < osp.getmtime(path):
        source = open_video(path)
        write_h264(out, source.read(range(len(source))), source.fps)
    return out


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', action='append', default=[],
                        help='alias or NAME=CONFIG[:CHECKPOINT] (repeat)')
    parser.add_argument('--examples', nargs='*', default=[],
                        help='example videos or folders of videos')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument('--device', help='cuda, cpu (default: auto)')
    parser.add_argument('--window-size', type=int, default=32)
    parser.add_argument('--work-root', help='folder for the outputs '
                        '(default: the system temp dir)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE',
                        help='config overrides for every model')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from rvos_plugin.utils.cli_config import parse_cfg_options
    options = parse_cfg_options(args.cfg_options)
    if args.model:
        specs = {}
        for spec in args.model:
            name, config, ckpt = parse_model_spec(spec)
            specs[name] = (config, ckpt)
    else:
        specs = default_specs()
        if not specs:
            raise SystemExit(
                'No model: run `bash tools/quickstart.sh` first (or another '
                'alias), or pass --model NAME=CONFIG:CHECKPOINT.')
    # fail now, not at the first click, on a missing config or checkpoint
    from rvos_plugin.apis.model_names import resolve_model
    for name, (config, ckpt) in specs.items():
        config, ckpt = resolve_model(config, ckpt)
        if ckpt is not None and not osp.isfile(ckpt):
            raise SystemExit(f'--model {name}: checkpoint {ckpt} not found.')
        specs[name] = (config, ckpt)
    pool = ModelPool(specs, args.device, options, args.window_size)
    app = build_app(pool, find_examples(args.examples), args.work_root)
    # returned files are copied into Gradio's own cache and served from
    # there: no folder of this machine is exposed (allowed_paths)
    app.queue().launch(server_name=args.host, server_port=args.port,
                       show_error=True)


if __name__ == '__main__':
    main()
