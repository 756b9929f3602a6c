"""A hook writing each rank's training losses (for DDP-equivalence tests)."""
import json
import os.path as osp

from mmengine.hooks import Hook

from rvos_plugin.registry import HOOKS


@HOOKS.register_module()
class RVOSLossRecorderHook(Hook):
    """Append ``{"iter", "loss", "batch"}`` per iteration to
    ``<work_dir>/losses_rank<r>.jsonl`` (the rank's local loss and its
    number of samples)."""

    priority = 'LOWEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        loss = float(outputs['loss'])
        batch = len(data_batch['data_samples']) if data_batch else 0
        path = osp.join(runner.work_dir, f'losses_rank{runner.rank}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(dict(iter=runner.iter, loss=loss,
                                    batch=batch)) + '\n')
