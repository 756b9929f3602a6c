# User entry point: `bash tools/dist_train.sh configs/wsrvos_swin-t.py 4`.
# Trains WSRVOS (Video-Swin-T + RoBERTa-base) on Ref-YouTube-VOS, official
# layout under data/ref-youtube-vos, with the CREA expressions of
# data/ref-youtube-vos/wsrvos_crea_train.json, and validates on Ref-DAVIS17
# (data/ref-davis) every 5 epochs. Weights: checkpoints/roberta-base/ and
# checkpoints/swin_tiny_patch244_window877_kinetics400_1k.pth.
# Every step from the downloaded archives: docs/datasets.md. Other datasets:
# configs/wsrvos/ (A2D-Sentences, JHMDB-Sentences, Ref-YouTube-VOS valid).
_base_ = './wsrvos/wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'
