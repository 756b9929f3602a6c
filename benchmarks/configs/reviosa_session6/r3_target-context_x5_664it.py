# r3: r2 with unidirectional x5 (r6: --cfg-options randomness.seed=1).
_base_ = './r2_target-context_x3_664it.py'
train_dataloader = dict(dataset=dict(
    caption_type_repeats=dict(unidirectional=5)))
