# k: j with a fourth proximity band, 32 % of the frame.
_base_ = './j_context-prior.py'
model = dict(target_context_radii=(0.04, 0.08, 0.16, 0.32))
