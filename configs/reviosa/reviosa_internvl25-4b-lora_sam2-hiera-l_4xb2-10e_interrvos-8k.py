# ReVIOsA-4B (Table 5). The released code uses XTuner's phi3 chat template for
# the 4B model; LoRA on every linear projection of the LLM.
_base_ = './reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py'
mllm_path = 'pretrained/InternVL2_5-4B-hf'
model = dict(
    mllm=dict(pretrained=mllm_path, tokenizer=mllm_path),
    chat_template='phi3_chat',
    lora=dict(target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj',
                              'qkv_proj', 'gate_proj', 'up_proj',
                              'down_proj', 'gate_up_proj']))
