"""Training-schedule hook of WSRVOS (Tab. S4 warm-up variant)."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from rvos_plugin.registry import HOOKS


@HOOKS.register_module()
class WSRVOSWarmupHook(Hook):
    """Optimise only L_cls during the first epochs (Tab. S4 variant).

    Sets ``model.cls_only`` before every training epoch; L_seg and L_tmp are
    then reported as 0. The paper's default uses no warm-up.

    Args:
        cls_only_epochs (int): Number of epochs with L_cls only (Tab. S4: 5).
    """

    priority = 'NORMAL'

    def __init__(self, cls_only_epochs: int = 5) -> None:
        self.cls_only_epochs = cls_only_epochs

    def before_train_epoch(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        model.cls_only = runner.epoch < self.cls_only_epochs
