# Tab. 6 row 2: only the stream where F_Z queries F_V.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(interaction=dict(video_queries_text=False))
