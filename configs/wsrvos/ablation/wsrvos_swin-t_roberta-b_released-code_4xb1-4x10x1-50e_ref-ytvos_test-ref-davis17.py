# The released code's choices: cosine maps, BCE on clamped y, test theta 0.5
# (FORMATS.md), its fixed random selection scorers, the video conditioned on
# the positive slots only, and whole-video inference.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(
    similarity='cosine',
    selection=dict(scorer='released_linear'),
    condition_on='positives',
    mil_head=dict(released_code_bce_on_y=True),
    test_threshold=0.5,
    inference_window=None)
