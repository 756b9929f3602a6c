# r1: r2 without the target context for the actor.
_base_ = './r2_target-context_x3_664it.py'
model = dict(target_context_for_actor=False, target_context_radii=())
