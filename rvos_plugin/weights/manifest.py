"""What a config needs on disk, what is there, and how to get the rest.

:data:`KNOWN_WEIGHTS` lists every file the real configs name (the authors'
download lists: InterRVOS/Sa2VA -> InternVL2.5 + SAM2.0-L; WSRVOS -> Video Swin
+ RoBERTa), with the page it comes from and the command that puts it under
``checkpoints/``. :func:`find_weight_paths` walks a config for path values;
:func:`inspect_path` reports presence, size and a sha256 prefix.
"""
import hashlib
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

#: Config keys whose string values are weight paths.
PATH_KEYS = ('pretrained', 'model_path', 'checkpoint', 'tokenizer',
             'load_from', 'encoder_pretrained')


@dataclass(frozen=True)
class WeightSpec:
    """A downloadable weight file or folder.

    Attributes:
        pattern (str): regex matched against the path's base name.
        what (str): what it is.
        source (str): the page to download from.
        size (str): approximate download size.
        command (str): shell command, ``{path}`` = where the config wants it.
        convert (str): command that converts it (``''``: used as is).
    """
    pattern: str
    what: str
    source: str
    size: str
    command: str
    convert: str = ''


_HF = 'huggingface-cli download {repo} --local-dir {{path}}'
_SWIN = ('wget -O {{path}} https://github.com/SwinTransformer/storage/'
         'releases/download/v1.0.4/{name}')
_SAM2 = 'wget -O {path} https://dl.fbaipublicfiles.com/segment_anything_2/'

KNOWN_WEIGHTS: Tuple[WeightSpec, ...] = (
    WeightSpec(
        r'^InternVL2_5-(1B|4B)(-MPO)?-hf$',
        'InternVL2.5 in the transformers-native format (converted)',
        'https://huggingface.co/OpenGVLab/InternVL2_5-1B (or -4B)',
        '1B: 1.9 GB, 4B: 7.4 GB (bf16)',
        'python tools/model_converters/internvl_to_hf.py {src} {path}',
        convert='internvl_to_hf'),
    WeightSpec(
        r'^InternVL2_5-(1B|4B)(-MPO)?$',
        'InternVL2.5 original (remote-code) release, as InterRVOS/Sa2VA '
        'download it; converted on the fly into <folder>-hf',
        'https://huggingface.co/OpenGVLab/InternVL2_5-1B (or -4B)',
        '1B: 1.9 GB, 4B: 7.4 GB (bf16)',
        _HF.format(repo='OpenGVLab/{name}')),
    WeightSpec(
        r'^sam2_hiera_(tiny|small|base_plus|large)\.pt$',
        'SAM2.0 checkpoint (InterRVOS/Sa2VA use sam2_hiera_large.pt) with '
        "config 'configs/sam2/sam2_hiera_*.yaml' (or 'auto')",
        'https://github.com/facebookresearch/sam2#download-checkpoints',
        'large: 857 MiB', _SAM2 + '072824/{name}'),
    WeightSpec(
        r'^sam2\.1_hiera_(tiny|small|base_plus|large)\.pt$',
        "SAM2.1 checkpoint with config 'configs/sam2.1/sam2.1_hiera_*.yaml'",
        'https://github.com/facebookresearch/sam2#download-checkpoints',
        'large: 857 MiB', _SAM2 + '092824/{name}'),
    WeightSpec(
        r'^swin_(tiny|small|base)_patch244_window877_kinetics\d+_(1k|22k)'
        r'\.pth$',
        'Video Swin Transformer, Kinetics-pretrained (WSRVOS visual encoder)',
        'https://github.com/SwinTransformer/Video-Swin-Transformer',
        'tiny: 0.1 GB, base: 0.4 GB', _SWIN.format(name='{name}')),
    WeightSpec(
        r'^roberta-base$', 'RoBERTa-base text encoder (WSRVOS)',
        'https://huggingface.co/FacebookAI/roberta-base', '0.5 GB',
        _HF.format(repo='FacebookAI/roberta-base')),
    WeightSpec(
        r'^wsrvos_.*official.*\.pth$',
        'WSRVOS checkpoint trained with the authors\' main.py (converted)',
        'https://github.com/viscom-tongji/WSRVOS (train with their code)',
        '-', 'python tools/model_converters/wsrvos_official_to_rvos.py '
        '{src} {path}', convert='wsrvos_official_to_rvos'),
)


@dataclass
class WeightEntry:
    """One path a config needs, and its state on disk."""
    key: str
    path: str
    spec: Optional[WeightSpec]
    present: bool
    size: int = 0
    sha256: str = ''

    def command(self) -> str:
        """The exact command that fetches (or converts) the missing path."""
        if self.spec is None:
            return ('(unknown file: see docs/model_zoo.md for where it comes '
                    'from)')
        name = osp.basename(self.path.rstrip('/'))
        cmd = self.spec.command
        if self.spec.convert == 'internvl_to_hf':
            cmd = cmd.replace('{src}', self.path.rstrip('/')[:-len('-hf')])
            src = osp.basename(self.path.rstrip('/'))[:-len('-hf')]
            fetch = _HF.format(repo=f'OpenGVLab/{src}').replace(
                '{path}', self.path.rstrip('/')[:-len('-hf')])
            cmd = f'{fetch} && {cmd}'
        return cmd.replace('{name}', name).replace('{path}', self.path)


def find_weight_paths(cfg) -> Iterator[Tuple[str, str]]:
    """``(dotted key, path)`` of every weight path the model needs
    (``model.*`` and ``load_from``).

    Args:
        cfg (dict | mmengine.Config): the full config.
    """
    def walk(node, prefix):
        if isinstance(node, dict):
            for key, value in node.items():
                dotted = f'{prefix}.{key}' if prefix else str(key)
                if isinstance(value, str) and _is_weight(key, value):
                    yield dotted, value
                else:
                    yield from walk(value, dotted)
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                yield from walk(value, f'{prefix}[{i}]')

    seen = set()
    # the model and the checkpoint to load; top-level helper variables of
    # the config files (``mllm_path = ...``) are only inputs to those
    cfg = dict(cfg)
    scope = {k: cfg[k] for k in ('model', 'load_from') if k in cfg}
    for key, path in walk(scope, ''):
        if (key, path) not in seen:
            seen.add((key, path))
            yield key, path


def _is_weight(key, value: str) -> bool:
    if value.startswith('package:'):
        return False
    if key in PATH_KEYS:
        return bool(value) and '/' in value or value.endswith(
            ('.pth', '.pt', '.safetensors', '.bin'))
    return value.startswith('checkpoints/')


def match_spec(path: str) -> Optional[WeightSpec]:
    name = osp.basename(path.rstrip('/'))
    for spec in KNOWN_WEIGHTS:
        if re.match(spec.pattern, name):
            return spec
    return None


def sha256_prefix(path: str, length: int = 12) -> str:
    """sha256 of a file, or of a folder's files (sorted names + contents)."""
    digest = hashlib.sha256()
    files: List[str] = [path] if osp.isfile(path) else sorted(
        osp.join(root, f) for root, _, names in os.walk(path) for f in names)
    for file in files:
        if not osp.isfile(path):
            digest.update(osp.relpath(file, path).encode())
        with open(file, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 22), b''):
                digest.update(chunk)
    return digest.hexdigest()[:length]


def inspect_path(key: str, path: str, root: str = '.',
                 hash_files: bool = True) -> WeightEntry:
    """State of one needed path (relative paths resolve against ``root``)."""
    full = path if osp.isabs(path) else osp.join(root, path)
    spec = match_spec(path)
    if not osp.exists(full) or (osp.isdir(full) and not os.listdir(full)):
        return WeightEntry(key, path, spec, False)
    if osp.isfile(full):
        size = osp.getsize(full)
    else:
        size = sum(osp.getsize(osp.join(r, f)) for r, _, names in os.walk(full)
                   for f in names)
    return WeightEntry(key, path, spec, True, size,
                       sha256_prefix(full) if hash_files else '')
