"""Registries of rvos_plugin: mmdet's registries, re-exported.

Every component registers into the ``mmdet`` scope (the mmdet ``projects/``
convention), so any mmdet config reaches it by plain name after
``custom_imports=dict(imports=['rvos_plugin'])``. Class names carry an
``RVOS``/``WSRVOS``/``ReVIOsA`` prefix so they cannot clash with mmdet's.
"""
from mmdet.registry import (DATA_SAMPLERS, DATASETS, EVALUATOR, HOOKS,
                            LOOPS, METRICS, MODEL_WRAPPERS, MODELS,
                            OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                            OPTIMIZERS, PARAM_SCHEDULERS, RUNNERS,
                            TASK_UTILS, TRANSFORMS, VISBACKENDS,
                            VISUALIZERS)

__all__ = [
    'DATA_SAMPLERS', 'DATASETS', 'EVALUATOR', 'HOOKS', 'LOOPS', 'METRICS',
    'MODEL_WRAPPERS', 'MODELS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'OPTIM_WRAPPERS', 'OPTIMIZERS', 'PARAM_SCHEDULERS', 'RUNNERS',
    'TASK_UTILS', 'TRANSFORMS', 'VISBACKENDS', 'VISUALIZERS'
]
