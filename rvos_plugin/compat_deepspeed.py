"""mmengine 0.10.7 + DeepSpeed >= 0.19 (requirements/deepspeed.txt).

``DeepSpeedStrategy.__init__`` calls mmengine's
``register_deepspeed_optimizers``, which imports
``deepspeed.runtime.fp16.onebit`` (OnebitAdam, OnebitLamb, ZeroOneAdam).
DeepSpeed 0.19 removed that module, so building the strategy fails with
``ModuleNotFoundError`` although nothing in our configs uses those
optimizers (ReVIOsA trains with torch's AdamW).
:func:`patch_deepspeed_optimizers` replaces the function with one that registers the DeepSpeed optimizers that
exist and skips the removed ones. Applied by ``rvos_plugin.utils.launch``
(tools/train.py, tools/test.py) before the runner is built; a no-op when
DeepSpeed is not installed or still ships the module.
"""
import importlib
import importlib.util
from typing import List

#: (module, class names) registered into mmengine's OPTIMIZERS when present.
DEEPSPEED_OPTIMIZERS = (
    ('deepspeed.ops.adam', ('DeepSpeedCPUAdam', 'FusedAdam')),
    ('deepspeed.ops.lamb', ('FusedLamb', )),
    ('deepspeed.runtime.fp16.onebit', ('OnebitAdam', 'OnebitLamb',
                                       'ZeroOneAdam')),
)


def register_available_deepspeed_optimizers() -> List[str]:
    """Register the DeepSpeed optimizers this DeepSpeed version ships.

    Returns:
        list[str]: the registered names (mmengine's return value).
    """
    from mmengine.registry import OPTIMIZERS
    names = []
    for module_name, classes in DEEPSPEED_OPTIMIZERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # removed in this DeepSpeed version
        for cls_name in classes:
            cls = getattr(module, cls_name, None)
            if cls is None:
                continue
            if OPTIMIZERS.get(cls_name) is None:
                OPTIMIZERS.register_module(module=cls)
            names.append(cls_name)
    return names


def patch_deepspeed_optimizers() -> bool:
    """Make mmengine's DeepSpeedStrategy build with DeepSpeed >= 0.19.

    Returns:
        bool: True when the patch was applied (DeepSpeed is installed and
        lacks ``deepspeed.runtime.fp16.onebit``).
    """
    try:
        import mmengine._strategy.deepspeed as mm_ds
    except ImportError:
        return False
    if getattr(mm_ds, 'deepspeed', None) is None:
        return False
    if importlib.util.find_spec('deepspeed.runtime.fp16.onebit') is not None:
        return False
    mm_ds.register_deepspeed_optimizers = \
        register_available_deepspeed_optimizers
    return True


__all__ = ['DEEPSPEED_OPTIMIZERS', 'register_available_deepspeed_optimizers',
           'patch_deepspeed_optimizers']
