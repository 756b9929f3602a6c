# Miniature Tab. 4: CREA positives replaced by copies of the original expression.
_base_ = '../wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py'

# the pipeline's WSRVOSSampleExpressions step (index 3) draws the expressions
_base_.train_pipeline[3].positive_source = 'original'
_base_.train_pipeline[3].negative_source = 'generated'
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline))
