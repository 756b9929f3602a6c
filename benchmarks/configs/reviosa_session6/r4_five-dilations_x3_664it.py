# r4: r2 with five dilations of the target mask.
_base_ = './r2_target-context_x3_664it.py'
model = dict(target_context_radii=(0.02, 0.04, 0.08, 0.16, 0.32))
