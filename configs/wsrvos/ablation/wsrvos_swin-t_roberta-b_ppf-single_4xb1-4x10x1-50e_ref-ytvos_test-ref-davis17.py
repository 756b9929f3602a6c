# Tab. 8 row 2: pseudo-mask from one random positive per frame.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(fusion=dict(mode='single'))
