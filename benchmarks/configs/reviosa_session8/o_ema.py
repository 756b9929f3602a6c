# o: the session-8 CPU config with mmengine's EMAHook (momentum 0.01, about
# the last 100 iterations averaged; validation and checkpoints use the
# averaged weights), trained with seeds 2 and 3.
_base_ = '../../../configs/reviosa/reviosa_tiny-internvl_tiny-sam2_cpu_synthetic.py'
custom_hooks = [dict(type='EMAHook', momentum=0.01, update_buffers=True)]
# Pinned to the learning rate this run used (the CPU config has 5e-4 since
# session 9).
optim_wrapper = dict(optimizer=dict(lr=1e-3))
