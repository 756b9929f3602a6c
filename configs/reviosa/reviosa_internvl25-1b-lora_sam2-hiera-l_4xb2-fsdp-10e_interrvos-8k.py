# ReVIOsA-1B with FSDP instead of DeepSpeed ZeRO-2 (bf16 compute, fp32
# master weights, accumulation 4). One FSDP unit per transformer block
# (projects/ReVIOsA/reviosa/fsdp.py); the MLLM is loaded in fp32 so every
# unit has one dtype, and FSDP's MixedPrecision computes in bf16. Buffers
# keep their dtype (SAM2's positional matrix stays fp32).
_base_ = './reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'
model = dict(mllm=dict(torch_dtype='float32'))
strategy = dict(
    _delete_=True, type='FSDPStrategy',
    # one full checkpoint file (gathered on rank 0): tools/test.py and
    # load_from read it like any other config's checkpoint
    state_dict_cfg='full',
    model_wrapper=dict(
        use_orig_params=True,  # frozen and trainable params share units
        auto_wrap_policy=dict(type='reviosa_fsdp_wrap_policy'),
        mixed_precision=dict(param_dtype='bfloat16', reduce_dtype='float32',
                             buffer_dtype=None)))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper', accumulative_counts=4,
    optimizer=dict(type='AdamW', lr=4e-5, weight_decay=0.05,
                   betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=1.0))
