# Table 6 (a) in miniature on CPU: a single [SEG] token, actor only.
# Without [SEG_TAR] there is no target mask for the actor's head to read
# (target_context_for_actor needs one) and no target region to pair the
# actor region with (actor_target_pair): those switches are off here,
# everything else (data, schedule, role attention) is the CPU recipe's.
_base_ = '../reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py'
model = dict(token_mode='single', actor_token='[SEG]', target_token=None,
             target_context_for_actor=False, target_context_radii=(),
             actor_target_pair=None)
