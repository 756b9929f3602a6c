"""Register all modules and set the default scope (mmdet style)."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every rvos_plugin module and make ``mmdet`` the default scope.

    Configs do this through ``default_scope='mmdet'`` and
    ``custom_imports=dict(imports=['rvos_plugin'])``; scripts and tests that
    build components directly call this function instead.

    Args:
        init_default_scope (bool): Set the default scope to ``mmdet``.
    """
    import rvos_plugin  # noqa: F401  (imports and registers everything)
    if not init_default_scope:
        return
    never_created = DefaultScope.get_current_instance() is None \
        or not DefaultScope.check_instance_created('mmdet')
    if never_created:
        DefaultScope.get_instance('mmdet', scope_name='mmdet')
        return
    current = DefaultScope.get_current_instance()
    if current.scope_name != 'mmdet':
        warnings.warn('The current default scope '
                      f'"{current.scope_name}" is not "mmdet", '
                      '`register_all_modules` will force the current'
                      'default scope to be "mmdet". If this is not '
                      'expected, please set `init_default_scope=False`.')
        new_instance_name = f'mmdet-{datetime.datetime.now()}'
        DefaultScope.get_instance(new_instance_name, scope_name='mmdet')
