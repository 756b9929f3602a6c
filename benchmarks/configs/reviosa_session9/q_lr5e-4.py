# q: the session-8 CPU config at half the learning rate (5e-4; the mask path
# keeps its 3x multiplier). Why: run p (warmup-stable-decay, more time at the
# peak LR) ended with a higher training loss than the cosine schedule, so
# the peak may be too high for batch 8. Trained with
# --cfg-options randomness.seed=N.
# Result: actor J&F on val, seed 2 .725 (recipe .759), seed 3 .784 (.735 with
# 2 threads): not adopted.
_base_ = '../../../configs/reviosa/reviosa_tiny-internvl_tiny-sam2_cpu_synthetic.py'
optim_wrapper = dict(optimizer=dict(lr=5e-4))
