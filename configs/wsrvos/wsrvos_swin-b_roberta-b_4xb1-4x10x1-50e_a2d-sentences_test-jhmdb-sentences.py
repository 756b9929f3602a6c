# Video-Swin-B, A2D-Sentences -> JHMDB-Sentences, Tab. 1 last row: the
# Swin-T config with only the backbone changed.
_base_ = './wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_a2d-sentences_test-jhmdb-sentences.py'

model = dict(
    vision_encoder=dict(
        arch='base',
        pretrained=('checkpoints/'
                    'swin_base_patch244_window877_kinetics600_22k.pth')))
