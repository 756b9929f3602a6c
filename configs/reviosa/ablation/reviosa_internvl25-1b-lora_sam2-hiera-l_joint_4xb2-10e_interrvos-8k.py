# Table 6 (c) (= the primitive): both tokens in one answer for unidirectional expressions.
_base_ = '../reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'
model = dict(token_mode='joint')
