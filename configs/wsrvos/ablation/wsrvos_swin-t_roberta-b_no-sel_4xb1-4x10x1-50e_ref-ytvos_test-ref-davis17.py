# Tab. 5 row 1 / Tab. S2 row 1: no bi-directional feature selection.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(selection_points=[])
