# r5: r2 with unidirectional x8.
_base_ = './r2_target-context_x3_664it.py'
train_dataloader = dict(dataset=dict(
    caption_type_repeats=dict(unidirectional=8)))
