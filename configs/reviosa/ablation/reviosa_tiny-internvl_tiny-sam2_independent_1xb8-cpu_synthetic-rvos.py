# Table 6 (b) in miniature on CPU: actor and target asked/supervised separately.
_base_ = '../reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py'
model = dict(token_mode='independent')
