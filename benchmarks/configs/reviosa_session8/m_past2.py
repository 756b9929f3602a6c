# m: the session-7 CPU config + target_context_past=2 (the target mask 2
# video frames earlier and its dilations: the target's direction of
# motion). Pinned to the session-7 inference rule it was trained and
# measured with (the nearest actor region).
_base_ = '../../../configs/reviosa/reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py'
model = dict(target_context_past=2, actor_nearest_component=True,
             actor_target_pair=None)
# Pinned to the learning rate this run used (the CPU config has 5e-4 since
# session 9).
optim_wrapper = dict(optimizer=dict(lr=1e-3))
