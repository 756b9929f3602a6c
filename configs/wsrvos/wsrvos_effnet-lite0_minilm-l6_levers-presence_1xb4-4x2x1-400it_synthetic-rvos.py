# The improved CPU recipe: the levers of WSRVOS_PITFALLS.md on top of the
# literal recipe (cosine maps standardised per frame with a learnable
# scale/bias, cross-video presence contrast, presence-scalar pseudo-masks and
# inference). See projects/WSRVOS/README.md.
_base_ = './wsrvos_effnet-lite0_minilm-l6_1xb4-4x2x1-400it_synthetic-rvos.py'

model = dict(
    similarity='cosine',
    calibration=dict(standardize=True, learnable_scale_bias=True),
    presence_contrast=dict(enable=True),
    pseudo_mask_from_presence=True,
    test_mode_presence=True)

# The learned scalars (presence a, b; map scale/bias) move ~lr per Adam step:
# at lr 1e-4 they cannot leave their initial values within a CPU-sized run.
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),  # CPU budget (400 iterations); paper: 1e-4
    paramwise_cfg=dict(custom_keys={
        'presence_head': dict(lr_mult=10.0, decay_mult=0.0),
        'calibration': dict(lr_mult=10.0, decay_mult=0.0)}))
