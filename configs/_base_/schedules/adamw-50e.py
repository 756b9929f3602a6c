# WSRVOS schedule, Sec. 4.2: AdamW, lr 1e-4, weight decay 5e-4, 50 epochs,
# constant learning rate (the paper names no scheduler), 4 GPUs x 1 clip.
max_epochs = 50
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=5e-4))
param_scheduler = []
auto_scale_lr = dict(enable=False, base_batch_size=4)
