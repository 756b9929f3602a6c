# d: a with twice the learning rate (2e-3; the mask path 6e-3).
_base_ = './a_gate-bound3.py'
optim_wrapper = dict(optimizer=dict(lr=2e-3))
