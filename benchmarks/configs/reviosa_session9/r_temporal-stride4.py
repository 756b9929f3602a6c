# r: the session-8 CPU config with the prompt head's spatio-temporal conv
# also at the finest Lite0 level (stride 4, temporal_levels=(0, 1, 2)).
# Why: the actor of an unidirectional interaction is the object behind its
# target along their motion, and a training clip's frame step (2 frames,
# ~3 px) is under half a cell at stride 8, where the head's temporal convs
# were; at stride 4 it is ~3/4 of a cell. The head already reads the
# target context at every level, so the conv sees the target's and the
# objects' motion together. Trained with --cfg-options randomness.seed=N.
# Result (benchmarks/reviosa_results.md, "Session 9"): actor J&F on dev /
# val, seed 4 .766 / .713 (recipe .716 / .722), seed 5 .793 / .770 (.774 /
# .735), seed 0 with 2 threads .782 / .795 (.827 / .817): not adopted.
_base_ = '../../../configs/reviosa/reviosa_tiny-internvl_tiny-sam2_cpu_synthetic.py'
model = dict(sam2=dict(prompt_mask_head=dict(temporal_levels=(0, 1, 2))))
# Pinned to the learning rate this run used (the CPU config has 5e-4 since
# session 9).
optim_wrapper = dict(optimizer=dict(lr=1e-3))
