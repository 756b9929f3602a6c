# Primitive config of the supervised baseline on the embedded synthetic set
# (frames 96x96, clips of num_frames=4 at interval 2, batch 4, 1 process).
_base_ = [
    '../_base_/models/rvos-baseline_effnet-lite0_minilm-l6.py',
    '../_base_/datasets/synthetic_rvos.py',
    '../_base_/schedules/adamw-20e.py',
    '../_base_/default_runtime.py',
]

# 2 epochs (2656 clips each) keep CPU training short; validate at the end
# only (the 534 whole validation videos cost about as much as one epoch).
max_epochs = 2
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min=1e-5, convert_to_iter_based=True),
]
# persistent_workers=False: workers are re-seeded each epoch (exact resume)
train_dataloader = dict(num_workers=1, persistent_workers=False)
val_dataloader = dict(num_workers=1)
test_dataloader = val_dataloader
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
