# ReVIOsA model (InterRVOS Sec. 4, App. A.1; released code: cvlab-kaist/InterRVOS).
# Weights are read from local folders only (nothing is downloaded):
#   checkpoints/InternVL2_5-1B/     OpenGVLab/InternVL2_5-1B converted to the
#       transformers format (tools/model_converters/internvl_to_hf.py)
#   checkpoints/sam2.1_hiera_large.pt   SAM2.1 Hiera-L (facebookresearch/sam2)
# (custom_imports with 'projects.ReVIOsA.reviosa' is set by the configs in
# configs/reviosa/, after default_runtime.py.)
mllm_path = 'checkpoints/InternVL2_5-1B'
sam2_checkpoint = 'checkpoints/sam2.1_hiera_large.pt'
actor_token = '[SEG_ACT]'   # Sec. 4.2 (released checkpoints: '[SEG]')
target_token = '[SEG_TAR]'  # Sec. 4.2 (released checkpoints: '[SEG_OBJ]')

model = dict(
    type='ReVIOsA',
    data_preprocessor=dict(
        type='RVOSDataPreprocessor',
        # InternVL and SAM2 both normalise with ImageNet mean/std
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]),
    mllm=dict(
        pretrained=mllm_path,       # App. A.1: InternVL-2.5
        tokenizer=mllm_path,
        torch_dtype='bfloat16',     # released code: bf16 (ZeRO-2 bf16)
        attn_implementation=None,   # 'eager' when attn_loss is on
        padding_side='right'),
    sam2=dict(
        config='configs/sam2.1/sam2.1_hiera_l.yaml',  # released code: SAM2-L
        checkpoint=sam2_checkpoint,
        freeze_image_encoder=True,  # Sec. 4.1: image encoder frozen
        # released inference: best-IoU mask of SAM2's multimask output
        inference_multimask=True),
    actor_token=actor_token,
    target_token=target_token,
    token_mode='joint',             # Table 6 (c); 'independent' (b), 'single' (a)
    chat_template='qwen_chat',      # InternVL2.5 (Qwen2.5 LLM): <|im_start|>
    # Sec. 4.1: only LoRA + SAM2 decoder trained; released LoRA r=128, a=256, p=0.05
    lora=dict(r=128, alpha=256, dropout=0.05,
              target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj',
                              'gate_proj', 'up_proj', 'down_proj']),
    # Sec. 4.1 trains LoRA + the SAM2 decoder; the released code (Sa2VA)
    # also trains the whole embedding / lm_head so the new seg tokens are
    # learnable. Default: only the seg tokens' rows ('new_tokens'); 'all' =
    # released code, 'none' = the paper's wording (docs/decisions/reviosa.md,
    # "Trainable token rows")
    train_token_embeddings='new_tokens',
    num_mllm_frames=5,              # released: MLLM sees the first 5 frames
    frame_policy='first',           # 'uniform': users report it works better
    # released inference (language_embd_inference): the seg-token prompt on
    # every frame, no SAM2 memory; 'propagate': prompt on the MLLM's frames
    # and SAM2 memory elsewhere (docs/decisions/reviosa.md)
    video_inference='per_frame',
    loss_lm_weight=1.0,             # LLM cross-entropy
    loss_bce_weight=2.0,            # released: BCE weight 2.0
    loss_dice_weight=0.5,           # released: Dice weight 0.5, eps 1
    dice_eps=1.0,
    num_points=12544,               # released: point-sampled mask losses; None = per pixel
    attn_loss=None,                 # released attention-map loss (not in the paper): off
    postfix_prob=1.0,
    max_new_tokens=16,
    mask_threshold=0.5,             # released: sigmoid > 0.5
    offload_frames=True,            # video frames stay on the CPU in inference
    frame_chunk=8)
