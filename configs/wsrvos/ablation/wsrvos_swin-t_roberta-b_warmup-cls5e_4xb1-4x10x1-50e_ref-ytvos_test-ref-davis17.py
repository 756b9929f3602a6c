# Tab. S4 row 1: only L_cls during the first 5 epochs.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

custom_hooks = [dict(type='WSRVOSWarmupHook', cls_only_epochs=5)]
