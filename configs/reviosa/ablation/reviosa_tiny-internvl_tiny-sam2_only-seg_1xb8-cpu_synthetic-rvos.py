# Table 6 (a) in miniature on CPU: a single [SEG] token, actor only.
_base_ = '../reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py'
model = dict(token_mode='single', actor_token='[SEG]', target_token=None)
