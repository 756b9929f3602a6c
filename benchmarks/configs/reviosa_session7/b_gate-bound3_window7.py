# b: a + the target's path: the target mask's union over the 7 video frames
# around each frame, and its proximity maps (K = 8 context channels).
_base_ = './a_gate-bound3.py'
model = dict(target_context_window=7)
