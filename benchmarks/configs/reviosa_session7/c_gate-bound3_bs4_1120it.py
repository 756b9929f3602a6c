# c: a with half the batch and twice the steps (same samples seen, same
# compute): batch 4, 1120 iterations, warmup 56.
_base_ = './a_gate-bound3.py'
max_iters = 1120
warmup_iters = 56
train_dataloader = dict(batch_size=4)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False,
         begin=warmup_iters, end=max_iters),
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
