# ReVIOsA-1B with FSDP instead of DeepSpeed ZeRO-2 (bf16 AMP, accumulation 4).
_base_ = './reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'
strategy = dict(_delete_=True, type='FSDPStrategy',
                model_wrapper=dict(use_orig_params=True))
optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper', dtype='bfloat16', accumulative_counts=4,
    optimizer=dict(type='AdamW', lr=4e-5, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0))
