"""Training hooks of WSRVOS: the Tab. S4 warm-up and the negative bank."""
import random
from collections import deque

from mmengine.dist import all_gather_object
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


@HOOKS.register_module()
class WSRVOSNegativeBankHook(Hook):
    """Negatives from other videos' expressions (Tab. 4 "w/o CREA negatives").

    Before each training iteration, every sample whose ``negative_texts`` is
    ``None`` (``WSRVOSSampleExpressions(negative_source='other_samples')``)
    gets up to N expressions of other videos: the other samples of the
    global batch (every rank's) and a bank of the expressions of earlier
    iterations. After the iteration, the global batch's ``(video_id,
    expression)`` pairs are appended to the bank in dataset-index order, so
    every rank holds the same bank, whatever the split over ranks. The bank
    is saved in checkpoints (``--resume`` restores it) and each sample's
    draw comes from a generator seeded by (seed, iteration, sample), so a
    resumed run, or a run with another number of processes and the same
    global batch, draws what the uninterrupted run draws.

    Args:
        num_negatives (int): N (Sec. 4.2: 48).
        bank_size (int): Pairs kept (oldest dropped first).
    """

    priority = 'NORMAL'
    CHECKPOINT_KEY = 'wsrvos_negative_bank'

    def __init__(self, num_negatives: int = 48, bank_size: int = 256) -> None:
        self.num_negatives = num_negatives
        self.bank = deque(maxlen=bank_size)

    @staticmethod
    def _global_batch(samples) -> list:
        """``(sample_idx, video_id, expression)`` of every rank's samples,
        in dataset-index order (the same list for any split over ranks;
        samples without ``sample_idx`` keep the gathered order)."""
        local = [(s.metainfo.get('sample_idx'), s.metainfo.get('video_id'),
                  s.metainfo['expression']) for s in samples]
        pairs = [p for part in all_gather_object(local) for p in part]
        return sorted(pairs, key=lambda p: (p[0] is None, p[0] or 0))

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if not data_batch:
            return
        samples = data_batch['data_samples']
        batch = self._global_batch(samples)  # collective: every rank
        for sample in samples:
            if sample.metainfo.get('negative_texts', 0) is not None:
                continue
            vid = sample.metainfo.get('video_id')
            pool = [t for _, v, t in batch if v != vid]
            pool += [t for v, t in self.bank if v != vid]
            pool = list(dict.fromkeys(pool))
            if len(pool) > self.num_negatives:
                idx = sample.metainfo.get('sample_idx')
                rng = random.Random(f'{runner.seed}-{runner.iter}-{idx}-'
                                    f'{vid}-{sample.metainfo["expression"]}')
                pool = rng.sample(pool, self.num_negatives)
            sample.set_metainfo(dict(negative_texts=pool))

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if not data_batch:
            return
        batch = self._global_batch(data_batch['data_samples'])
        self.bank.extend((v, t) for _, v, t in batch)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[self.CHECKPOINT_KEY] = list(self.bank)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.CHECKPOINT_KEY not in checkpoint:  # load_from of a
            # checkpoint written without this hook: start with an empty bank
            runner.logger.warning(
                f'checkpoint has no {self.CHECKPOINT_KEY!r}: the negative '
                'bank starts empty')
            return
        self.bank.clear()
        self.bank.extend(tuple(p) for p in checkpoint[self.CHECKPOINT_KEY])
