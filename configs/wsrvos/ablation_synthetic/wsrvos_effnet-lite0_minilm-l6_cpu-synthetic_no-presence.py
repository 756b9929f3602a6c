# The lever itself removed: no presence contrast; pseudo-masks and inference
# back to sigmoid(calibrated map) > theta (Sec. 3.5 / 3.7).
_base_ = '../wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py'

model = dict(
    presence_contrast=dict(enable=False),
    pseudo_mask_from_presence=False,
    test_mode_presence=False)
