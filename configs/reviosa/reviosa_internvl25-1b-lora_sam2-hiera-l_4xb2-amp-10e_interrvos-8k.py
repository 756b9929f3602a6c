# ReVIOsA-1B with plain DDP + bf16 AMP (no DeepSpeed/FSDP): fp32 weights,
# autocast to bf16 (AmpOptimWrapper, CUDA), accumulation 4, clip 1.0.
# bash tools/dist_train.sh configs/reviosa/<this file> 4
_base_ = './reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'
runner_type = 'Runner'
strategy = None
model = dict(mllm=dict(torch_dtype='float32'))
optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper', dtype='bfloat16', accumulative_counts=4,
    optimizer=dict(type='AdamW', lr=4e-5, weight_decay=0.05,
                   betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=1.0))
