# User entry point: `bash tools/dist_train.sh configs/wsrvos_swin-t.py 4`.
_base_ = './wsrvos/wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'
