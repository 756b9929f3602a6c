# The one-process CPU config with the quickstart's two metrics: the CPU
# config (tiny random InternVL + tiny SAM2 decoder on a frozen pretrained
# EfficientNet-Lite0, FiLM dense prompt, revision 3: prompt-conditioned mask
# head + frozen MiniLM word states) on the synthetic interaction set, batch
# 8, 560 iterations. It was `bash tools/quickstart.sh reviosa` in sessions
# 5-9; since session 10 the quickstart runs
# reviosa_tiny-internvl_tiny-sam2_2xb4-900it-cpu_synthetic-rvos.py (two
# processes, 900 iterations, the same wall time). The commands of the
# earlier experiment runs use it (docs/decisions/reviosa.md, "Experiment runs
# of sessions 6-10").
_base_ = './reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py'

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
