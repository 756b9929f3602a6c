# Tab. S3 row 2: pairwise segment consistency instead of TSR.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(temporal_loss=dict(mode='psc'))
