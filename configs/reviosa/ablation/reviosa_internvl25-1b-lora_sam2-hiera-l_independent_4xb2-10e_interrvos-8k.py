# Table 6 (b): [SEG_ACT] and [SEG_TAR] asked and supervised in separate sequences.
_base_ = '../reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'
model = dict(token_mode='independent')
