# Tab. 7 row 5: learnable W_cls (original MIL setting).
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(mil_head=dict(variant='cls_learn'))
