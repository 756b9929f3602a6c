# Tab. 5 row 2: language-to-vision selection only.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(selection=dict(v2l=False))
