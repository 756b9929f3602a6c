# Tab. 7 row 2: linear classifier on R instead of proposal aggregation / expression matching.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(mil_head=dict(variant='no_paem'))
