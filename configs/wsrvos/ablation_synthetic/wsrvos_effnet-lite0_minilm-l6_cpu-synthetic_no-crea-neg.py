# Miniature Tab. 4: CREA negatives replaced by other videos' expressions.
_base_ = '../wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py'

# the pipeline's WSRVOSSampleExpressions step (index 3) draws the expressions
_base_.train_pipeline[3].positive_source = 'generated'
_base_.train_pipeline[3].negative_source = 'other_samples'
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline))
# other videos' expressions: drawn by the hook from the batch and a bank
# (saved in checkpoints, identical on every rank)
custom_hooks = [
    dict(type='RVOSEpochSeedHook'),
    dict(type='WSRVOSNegativeBankHook', num_negatives=24)
]
