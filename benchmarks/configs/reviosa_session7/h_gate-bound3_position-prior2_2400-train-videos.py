# h: g (2400 training videos) + f's position prior.
_base_ = './g_gate-bound3_2400-train-videos.py'
model = dict(role_word_attention=dict(position_prior=2.0))
