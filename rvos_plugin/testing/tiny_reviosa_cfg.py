"""Config text of the tiny ReVIOsA CPU model used by the multi-process tests.

Appended to a config that inherits
``configs/reviosa/reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py``:
the same model at test sizes (InternVL and SAM2 widths of a few channels).
``{lora}`` is the extra LoRA arguments (e.g. ``', dropout=0.0'``).
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
