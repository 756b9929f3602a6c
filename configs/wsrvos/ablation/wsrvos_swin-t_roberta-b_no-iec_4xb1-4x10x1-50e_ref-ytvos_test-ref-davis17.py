# Tab. 7 row 1: WSRVOS w/o instance-aware expression classification.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(mil_head=None)
