# Levers of WSRVOS_PITFALLS.md (not in the paper): standardised maps with
# learnable scale/bias, the cross-video presence contrast and presence-scalar
# pseudo-masks/inference (needs >= 2 videos per GPU batch).
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(
    similarity='cosine',
    calibration=dict(standardize=True, learnable_scale_bias=True),
    presence_contrast=dict(enable=True),
    pseudo_mask_from_presence=True,
    test_mode_presence=True)
train_dataloader = dict(batch_size=2)
