# Tab. S2 row 2: selection after every one of the 12 encoder layers.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(selection_points=[(i, i) for i in range(1, 13)])
