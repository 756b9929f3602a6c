"""Resolve a model given by name: a config path, a config file name, or one
of the quickstart aliases (``baseline``, ``wsrvos``, ``reviosa``)."""
import glob
import os.path as osp
from typing import Optional, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# The configs trained by `bash tools/quickstart.sh <alias>` (kept equal to the
# script's `case` block; tests/test_apis/test_model_names.py checks it) and
# where the quickstart leaves their checkpoints.
QUICKSTART_CONFIGS = {
    'baseline': 'configs/baseline/'
    'rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_synthetic.py',
    'wsrvos': 'configs/wsrvos/wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py',
    'reviosa': 'configs/reviosa/'
    'reviosa_tiny-internvl_tiny-sam2_2xb4-900it-cpu_synthetic-rvos.py',
}
QUICKSTART_WORK_DIR = 'work_dirs/quickstart/{alias}'


def resolve_config(model: str) -> str:
    """Path of the config a name refers to.

    Args:
        model (str): A config path, a quickstart alias, or a config file name
            with or without ``.py`` searched under ``<repo>/configs``.

    Returns:
        str: An existing config path.
    """
    if osp.isfile(model):
        return model
    if model in QUICKSTART_CONFIGS:
        return osp.join(REPO_ROOT, QUICKSTART_CONFIGS[model])
    name = osp.basename(model)
    name = name if name.endswith('.py') else name + '.py'
    hits = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', '**', name),
                            recursive=True))
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise ValueError(f'Config name {model!r} is ambiguous: {hits}; pass '
                         'the path.')
    raise FileNotFoundError(
        f'No config {model!r}: give a config path, a file name under '
        f'{osp.join(REPO_ROOT, "configs")}, or one of '
        f'{sorted(QUICKSTART_CONFIGS)} (the quickstart models).')


def quickstart_checkpoint(model: str,
                          root: str = '.') -> Optional[str]:
    """The checkpoint the quickstart wrote for alias ``model``, if any.

    ``bash tools/quickstart.sh <alias>`` writes
    ``work_dirs/quickstart/<alias>/last_checkpoint`` (a text file holding the
    checkpoint path); it is read relative to ``root`` and then to the
    repository root.
    """
    if model not in QUICKSTART_CONFIGS:
        return None
    for base in (root, REPO_ROOT):
        pointer = osp.join(base, QUICKSTART_WORK_DIR.format(alias=model),
                           'last_checkpoint')
        if osp.isfile(pointer):
            with open(pointer) as f:
                path = f.read().strip()
            for cand in (path, osp.join(base, path)):
                if osp.isfile(cand):
                    return cand
    return None


def resolve_model(model: str, weights: Optional[str] = None
                  ) -> Tuple[str, Optional[str]]:
    """(config path, checkpoint) of a model name; the checkpoint of a
    quickstart alias defaults to the one the quickstart wrote."""
    config = resolve_config(model)
    if weights is None and model in QUICKSTART_CONFIGS \
            and not osp.isfile(model):
        weights = quickstart_checkpoint(model)
        if weights is None:
            raise FileNotFoundError(
                f'No checkpoint for {model!r}: run `bash tools/quickstart.sh '
                f'{model}` first (it writes '
                f'{QUICKSTART_WORK_DIR.format(alias=model)}/last_checkpoint),'
                ' or pass the checkpoint explicitly.')
    return config, weights
