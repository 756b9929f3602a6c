# Sa2VA-style baseline (Tables 4-5): one [SEG] token, no actor-target postfix.
_base_ = './reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'
model = dict(token_mode='single', actor_token='[SEG]', target_token=None,
             postfix_prob=0.0, eval_postfix=None)
