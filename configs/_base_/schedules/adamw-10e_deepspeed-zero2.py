# ReVIOsA schedule (App. A.1: 10 epochs, batch 2; released code: AdamW 4e-5,
# wd 0.05, clip 1.0, accumulation 4, warm-up 5% then cosine, bf16, ZeRO-2).
max_epochs = 10
warmup_ratio = 0.05
runner_type = 'FlexibleRunner'
strategy = dict(
    type='DeepSpeedStrategy',
    bf16=dict(enabled=True),
    gradient_clipping=1.0,
    gradient_accumulation_steps=4,
    train_micro_batch_size_per_gpu=2,
    zero_optimization=dict(
        stage=2, allgather_partitions=True, reduce_scatter=True,
        allgather_bucket_size=5e8, reduce_bucket_size=5e8,
        overlap_comm=True, contiguous_gradients=True))
optim_wrapper = dict(
    type='DeepSpeedOptimWrapper',
    optimizer=dict(type='AdamW', lr=4e-5, weight_decay=0.05,
                   betas=(0.9, 0.999)))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-5, by_epoch=True, begin=0,
         end=warmup_ratio * max_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=True,
         begin=warmup_ratio * max_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# 4 GPUs x batch 2 x accumulation 4 (released code)
auto_scale_lr = dict(enable=False, base_batch_size=32)
