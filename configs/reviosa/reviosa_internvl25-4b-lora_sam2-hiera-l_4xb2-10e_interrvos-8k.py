# ReVIOsA-4B (Table 5): InternVL2.5-4B = InternViT-300M + Qwen2.5-3B-Instruct.
# Weights: checkpoints/InternVL2_5-4B/ (OpenGVLab/InternVL2_5-4B converted
# with tools/model_converters/internvl_to_hf.py) + the 1B config's SAM2.
# The LLM is Qwen2.5, so the chat template is Qwen's (<|im_start|>/<|im_end|>
# are in its tokenizer: only [SEG_ACT]/[SEG_TAR] are added) and LoRA targets
# the Qwen2 projections. The released code uses XTuner's phi3_chat here (a
# leftover of InternVL2-4B, a Phi-3 LLM): its markers are not tokens of the
# Qwen2.5 tokenizer; `model.chat_template='phi3_chat'` reproduces it
# (docs/decisions/reviosa_real_path.md).
_base_ = './reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'
mllm_path = 'checkpoints/InternVL2_5-4B'
model = dict(
    mllm=dict(pretrained=mllm_path, tokenizer=mllm_path),
    chat_template='qwen_chat',
    # every linear layer of the Qwen2 decoder (what the released code's
    # find_all_linear_names selects for a Qwen2 LLM)
    lora=dict(target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj',
                              'gate_proj', 'up_proj', 'down_proj']))
