# Tab. 8 row 3 / Tab. S3 row 1: WSRVOS w/o temporal segment ranking.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(temporal_loss=None)
