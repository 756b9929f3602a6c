# Tab. 6 row 3: only the stream where F_V queries F_Z.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(interaction=dict(text_queries_video=False))
