"""Import ``rvos_plugin.evaluation.functional`` without the package's init.

``import rvos_plugin`` applies the mmengine/mmcv compatibility shims and
registers every model, dataset and transform (it pulls torch and
mmengine: ~2-4 s of start-up). The evaluation CLIs only need the numpy/cv2
metric functions, so, when ``rvos_plugin`` is not imported yet, this
registers light placeholder packages for ``rvos_plugin`` and
``rvos_plugin.evaluation`` (their ``__path__`` only, no code run) before
importing ``rvos_plugin.evaluation.functional``. A process that already
imported ``rvos_plugin`` (tests, tools/test.py) uses the real packages.
"""
import importlib
import importlib.util
import os.path as osp
import sys
import types


def import_functional():
    """Return ``rvos_plugin.evaluation.functional`` (no torch, no mmengine).

    Raises:
        ImportError: rvos_plugin is not importable (not installed and the
            repository root not on ``PYTHONPATH``).
    """
    if 'rvos_plugin' not in sys.modules:
        repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
        root = osp.join(repo, 'rvos_plugin')
        if not osp.isdir(root):  # tools/ copied elsewhere: installed one
            spec = importlib.util.find_spec('rvos_plugin')
            root = spec.submodule_search_locations[0] if spec else root
        if not osp.isdir(osp.join(root, 'evaluation', 'functional')):
            raise ImportError(
                f'rvos_plugin not found at {root}: run from the repository '
                'or `pip install -e .`.')
        for name, path in (('rvos_plugin', root),
                           ('rvos_plugin.evaluation',
                            osp.join(root, 'evaluation'))):
            package = types.ModuleType(name)
            package.__path__ = [path]
            package.__file__ = osp.join(path, '__init__.py')
            package.__package__ = name
            sys.modules[name] = package
    return importlib.import_module('rvos_plugin.evaluation.functional')
