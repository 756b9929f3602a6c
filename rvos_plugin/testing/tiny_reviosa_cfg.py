"""Config text of the tiny ReVIOsA CPU model used by the multi-process tests.

Appended to a config that inherits
``configs/reviosa/reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py``:
the same model at test sizes (InternVL and SAM2 widths of a few channels).
``{lora}`` is the extra LoRA arguments (e.g. ``', dropout=0.0'``).
:data:`TINY_REVIOSA_PIPELINE` is the training pipeline at those sizes (the
recipe's random clip and flip kept).
"""

TINY_REVIOSA_MODEL = """model = dict(
    mllm=dict(config=dict(
        vision_config=dict(hidden_size=16, num_hidden_layers=1,
                           num_attention_heads=2, intermediate_size=32,
                           image_size=[32, 32]),
        text_config=dict(hidden_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1,
                         intermediate_size=64),
        image_seq_length=4)),
    sam2=dict(config=dict(tiny=dict(image_size=32, hidden_dim=64, mem_dim=32,
                                    embed_dim=8, num_maskmem=2)),
              prompt_mask_head=dict(channels=16)),
    lora=dict(r=2, alpha=4{lora}),
    num_mllm_frames=2, max_new_tokens=4, frame_chunk=4)
"""

TINY_REVIOSA_PIPELINE = """train_pipeline = [
    dict(type='RVOSFrameSample', num_frames=2, interval=1),
    dict(type='LoadRVOSFrames'), dict(type='LoadRVOSMasks'),
    dict(type='RVOSResize', scale=(32, 32)),
    dict(type='RVOSRandomFlip', prob=0.5),
    dict(type='PackRVOSInputs')]
"""
