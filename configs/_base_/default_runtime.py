# Runtime shared by every rvos_plugin config (mmdet conventions).
default_scope = 'mmdet'
custom_imports = dict(imports=['rvos_plugin'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # draw=True: predictions of every 50th validation iteration go to the
    # vis backends below; tools/test.py --show / --show-dir turn it on
    visualization=dict(type='RVOSVisualizationHook', draw=False,
                       interval=50))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl on GPUs; tools/train.py switches to gloo when CUDA is absent.
    dist_cfg=dict(backend='nccl'))

# Re-seed each epoch so that a resumed run reproduces the uninterrupted one.
custom_hooks = [dict(type='RVOSEpochSeedHook')]

vis_backends = [dict(type='LocalVisBackend')]
# tensorboard=True (or --cfg-options visualizer.tensorboard=True) adds a
# TensorboardVisBackend: losses, metrics and drawn frames under
# <work_dir>/<timestamp>/vis_data (`tensorboard --logdir work_dirs`)
visualizer = dict(
    type='RVOSLocalVisualizer', vis_backends=vis_backends, name='visualizer',
    tensorboard=False)
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
