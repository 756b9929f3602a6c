# j: the session-7 CPU config + target_context_prior (a zero-initialised
# 1x1 conv of the actor's context -- target mask and its 4 / 8 / 16 %
# dilations -- added to the actor logits). Pinned to the session-7
# inference rule it was measured with (the nearest actor region).
_base_ = '../../../configs/reviosa/reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py'
model = dict(target_context_prior=True, actor_nearest_component=True,
             actor_target_pair=None)
# Pinned to the learning rate this run used (the CPU config has 5e-4 since
# session 9).
optim_wrapper = dict(optimizer=dict(lr=1e-3))
