# The released code's choices: cosine maps, BCE on clamped y, test theta 0.5 (FORMATS.md).
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(
    similarity='cosine',
    mil_head=dict(released_code_bce_on_y=True),
    test_threshold=0.5)
