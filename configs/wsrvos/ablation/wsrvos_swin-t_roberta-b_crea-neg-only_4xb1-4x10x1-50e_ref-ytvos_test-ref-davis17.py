# Tab. 4 row 3: CREA negatives, positives = the original expression duplicated.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

# the pipeline's WSRVOSSampleExpressions step (index 3) draws the expressions
_base_.wsrvos_train_pipeline[3].positive_source = 'original'
_base_.wsrvos_train_pipeline[3].negative_source = 'generated'
train_dataloader = dict(dataset=dict(pipeline=_base_.wsrvos_train_pipeline))
