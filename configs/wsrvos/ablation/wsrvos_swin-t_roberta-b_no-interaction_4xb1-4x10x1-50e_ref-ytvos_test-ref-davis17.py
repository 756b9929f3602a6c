# Tab. 6 row 1: no bi-directional interaction.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(interaction=None)
