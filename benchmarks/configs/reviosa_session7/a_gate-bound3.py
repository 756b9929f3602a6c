# a: the session-6 CPU config (560 iterations) with word-gate logits bounded
# by 3 * tanh(l / 3): no word's gate saturates (>= ~.05 of the strongest).
_base_ = '../../../configs/reviosa/reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py'
model = dict(role_word_attention=dict(logit_bound=3.0))
