# ReVIOsA quickstart config (`bash tools/quickstart.sh reviosa`): the CPU
# recipe of reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py run
# as two CPU processes of batch 4 (global batch 8, gloo) for 900 iterations
# instead of one process for 560:
#   OMP_NUM_THREADS=1 bash tools/dist_train.sh \
#       configs/reviosa/reviosa_tiny-internvl_tiny-sam2_2xb4-900it-cpu_synthetic-rvos.py 2
# Session 10: on 2 cores one process with 2 threads runs an iteration of
# batch 8 in 1.0 s, two 1-thread processes of batch 4 in 0.57 s (the tiny
# ops do not use a second thread), so 900 iterations cost what 560 did.
# Paired by seed (one 1-thread process of batch 8 each: --cfg-options
# train_dataloader.batch_size=8 randomness.seed=N), actor J&F on val /
# dev, 560 iterations in brackets: seed 2 .807 / .803 (.725 / .791), seed 3
# .818 / .842 (.784 / .796), seed 4 .777 / .811 (.719 / .799), seed 5 .847 /
# .833 (.802 / .823); seeds 0 / 1 .831 / .844, .804 / .836; the target
# .859-.892 on val. The quickstart (this
# config, 2 processes, seed 0): Referring / Actor-Target / Overall J&F .750 /
# .847 / .779, actor .826, target .868, training 9.5 min, whole run 11.9 min
# (benchmarks/reviosa_results.md, "Session 10").
_base_ = './reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py'

train_dataloader = dict(batch_size=4)   # per process; 2 processes

max_iters = 900
warmup_iters = 45                       # 5 %, as the 560-iteration recipe
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False,
         begin=warmup_iters, end=max_iters),
]
default_hooks = dict(checkpoint=dict(interval=max_iters))

# Two metrics with disjoint keys: RVOSJFMetric gives the top-level J / F /
# J&F (actor masks, every expression) that tools/quickstart.sh prints; the
# prefixed ReVIOsAActorTargetMetric gives Referring / Actor-Target / Overall
# (summary.json keys `Referring/J&F`, `Actor-Target/J&F`, `Overall/J&F`, ...
# once tools/analysis_tools/evaluate_with_baselines.py strips the prefix).
val_evaluator = [
    dict(type='RVOSJFMetric'),
    dict(type='ReVIOsAActorTargetMetric', prefix='reviosa', protocol='pooled'),
]
test_evaluator = val_evaluator
