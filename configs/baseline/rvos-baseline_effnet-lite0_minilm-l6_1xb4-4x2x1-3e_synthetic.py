# Same model and data as the 2-epoch primitive, trained 3 epochs.
_base_ = './rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_synthetic.py'

max_epochs = 3
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min=1e-5, convert_to_iter_based=True),
]
