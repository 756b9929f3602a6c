"""Compatibility shims for the pinned stack (one module, one job each).

The stack (torch 2.14, mmengine 0.10.7, mmcv-lite 2.1.0, mmdet 3.3.0,
mmpretrain 1.2.0, transformers 4.57) has three known incompatibilities; see
``docs/decisions.md`` and ``../shared/notes/ENVIRONMENT.md``:

1. ``torch.load`` defaults to ``weights_only=True`` since torch 2.6, while
   mmengine checkpoints pickle a message hub (``HistoryBuffer``, numpy
   objects). :func:`patch_checkpoint_loading` re-registers mmengine's local
   checkpoint scheme with an explicit trust policy.
2. With mmcv-lite, the lazy ``locations`` import of mmdet's registries dies on
   ``mmcv._ext``. :func:`patch_mmdet_registries` marks them imported, so the
   Runner works through mmdet's registries without importing
   ``mmdet.models``.
3. ``import mmpretrain.models`` fails when pycocotools and transformers>=4.28
   are both installed. :func:`import_mmpretrain_models` disables its
   multimodal branch first.

Plus :func:`init_cpu_distributed`, which initialises ``gloo`` process groups
when the job runs without CUDA (mmengine always calls
``torch.cuda.set_device``).

Trust model for checkpoints: an mmengine checkpoint is a pickle, and loading
a pickle can execute code. This plugin loads every local checkpoint with
``weights_only=True`` and an allowlist of exactly what mmengine's and our
checkpoints contain (:mod:`rvos_plugin.utils.safe_checkpoint`): a file that
needs anything else is refused with an error naming it. ``RVOS_TRUST_PICKLE=1``
(or ``--trust-pickle`` on tools/train.py and tools/test.py) switches to
``weights_only=False`` for files you trust.
"""
import importlib.abc
import importlib.util
import os
import sys
import warnings
from typing import Optional

_PATCHED = {'checkpoint': False, 'registries': False}



_CHECKPOINT_MODULE = 'mmengine.runner.checkpoint'


def patch_checkpoint_loading() -> None:
    """Re-register mmengine's local ``CheckpointLoader`` scheme.

    The replacement loads with ``weights_only=True`` and the project's
    allowlist (see the module docstring for the trust model); a missing,
    truncated, corrupt or unsafe file raises an error that names it.

    Applied when ``mmengine.runner.checkpoint`` is imported, not before:
    importing it imports ``mmengine.runner``, whose ``FlexibleRunner`` imports
    DeepSpeed when it is installed (0.3-0.5 s, and DeepSpeed logs its
    accelerator choice on stdout), which ``import rvos_plugin`` must not pay.
    Everything that loads a checkpoint imports that module first.
    """
    if _PATCHED['checkpoint']:
        return
    module = sys.modules.get(_CHECKPOINT_MODULE)
    if module is not None and hasattr(module, 'CheckpointLoader'):
        _register_safe_local_loader(module.CheckpointLoader)
    elif not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())


def _register_safe_local_loader(checkpoint_loader) -> None:
    """Register the allowlisted loader for local paths and ``file://``."""
    from rvos_plugin.utils.safe_checkpoint import load_checkpoint_file

    def load_from_local(filename: str, map_location=None):
        path = os.path.expanduser(filename)
        if path.startswith('file://'):
            path = path[len('file://'):]
        return load_checkpoint_file(path, map_location=map_location)

    checkpoint_loader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
    checkpoint_loader.register_scheme(
        prefixes='file://', loader=load_from_local, force=True)
    _PATCHED['checkpoint'] = True


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Finds ``mmengine.runner.checkpoint`` through the other finders and
    registers the safe loader right after the module has executed."""

    def find_spec(self, name, path, target=None):
        if name != _CHECKPOINT_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _ExecThenPatch(spec.loader)
        return spec


class _ExecThenPatch(importlib.abc.Loader):
    """Delegating loader: the wrapped loader's module, then the patch."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            _register_safe_local_loader(module.CheckpointLoader)


def patch_mmdet_registries() -> None:
    """Mark every mmdet registry as already imported (mmcv-lite safe).

    mmengine imports ``registry.locations`` (``mmdet.models``,
    ``mmdet.datasets``...) the first time a registry is used. Those modules
    need compiled mmcv ops. When compiled mmcv is installed nothing is
    patched, so all of mmdet stays available.
    """
    if _PATCHED['registries']:
        return
    _PATCHED['registries'] = True
    if has_compiled_mmcv():
        return
    from mmengine.registry import Registry

    import mmdet.registry as mmdet_registry
    for value in vars(mmdet_registry).values():
        if isinstance(value, Registry) and value.scope == 'mmdet':
            value._imported = True


def has_compiled_mmcv() -> bool:
    """Whether mmcv's compiled ops (``mmcv._ext``) are importable."""
    import importlib.util
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except (ImportError, ValueError):
        return False


def import_mmpretrain_models():
    """Import ``mmpretrain.models`` with its broken multimodal branch off.

    Returns:
        module: ``mmpretrain.models``.
    """
    import mmpretrain.utils.dependency as dependency
    dependency.WITH_MULTIMODAL = False
    import mmpretrain.models
    return mmpretrain.models


def init_cpu_distributed(launcher: str,
                         backend: Optional[str] = None,
                         timeout_s: int = 1800) -> bool:
    """Initialise a ``gloo`` process group for CPU-only distributed jobs.

    mmengine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device``
    unconditionally, which fails without a GPU. When CUDA is absent and a
    launcher is used, this initialises the group itself (the Runner then
    skips its own initialisation). With CUDA it does nothing and mmengine
    initialises ``nccl`` as usual.

    Args:
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        backend (str, optional): Force a backend. Defaults to ``'gloo'``.
        timeout_s (int): Process-group timeout in seconds.

    Returns:
        bool: True if this function initialised the process group.
    """
    import datetime

    import torch
    import torch.distributed as dist
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if dist.is_available() and dist.is_initialized():
        return False
    if launcher == 'slurm':
        _slurm_env_to_torch_env()
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if key not in os.environ:
            raise RuntimeError(
                f'Distributed launcher {launcher!r} needs the environment '
                f'variable {key}; start the job through tools/dist_train.sh '
                '(torchrun) or tools/slurm_train.sh.')
    dist.init_process_group(
        backend=backend or 'gloo',
        timeout=datetime.timedelta(seconds=timeout_s))
    return True


def _slurm_env_to_torch_env() -> None:
    """Translate SLURM variables into torch.distributed ones (CPU path)."""
    import subprocess
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    if 'MASTER_ADDR' not in os.environ:
        node_list = os.environ['SLURM_NODELIST']
        addr = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')
        os.environ['MASTER_ADDR'] = addr
    os.environ.setdefault('MASTER_PORT', '29500')


def cpu_ddp_wrapper_cfg(find_unused_parameters: bool = True) -> dict:
    """Model-wrapper config for DDP over CPU modules (no ``device_ids``)."""
    return dict(
        type='MMDistributedDataParallel',
        device_ids=None,
        broadcast_buffers=False,
        find_unused_parameters=find_unused_parameters)


def apply_all() -> None:
    """Apply the import-time shims (cheap: no heavy imports)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        patch_checkpoint_loading()
        patch_mmdet_registries()
