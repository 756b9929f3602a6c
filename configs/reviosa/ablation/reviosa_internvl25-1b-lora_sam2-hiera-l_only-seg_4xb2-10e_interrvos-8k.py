# Table 6 (a): a single [SEG] token, actor only.
_base_ = '../reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'
model = dict(token_mode='single', actor_token='[SEG]', target_token=None)
