# Tab. 4 row 1: no CREA (original expression as positives, other samples' expressions as negatives).
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

# the pipeline's WSRVOSSampleExpressions step (index 3) draws the expressions
_base_.wsrvos_train_pipeline[3].positive_source = 'original'
_base_.wsrvos_train_pipeline[3].negative_source = 'other_samples'
train_dataloader = dict(dataset=dict(pipeline=_base_.wsrvos_train_pipeline))
# other videos' expressions: drawn by the hook from the batch and a bank
# (saved in checkpoints, identical on every rank)
custom_hooks = [
    dict(type='RVOSEpochSeedHook'),
    dict(type='WSRVOSNegativeBankHook', num_negatives=48)
]
