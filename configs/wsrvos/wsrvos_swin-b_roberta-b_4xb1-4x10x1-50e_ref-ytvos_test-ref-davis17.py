# Video-Swin-B (Kinetics-600, ImageNet-22k pretrained), Tab. 1 last row: the
# Swin-T config with only the backbone changed.
_base_ = './wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

model = dict(
    vision_encoder=dict(
        arch='base',  # depths (2, 2, 18, 2); blocks 3/6/9/12 still exist
        pretrained=('checkpoints/'
                    'swin_base_patch244_window877_kinetics600_22k.pth')))
