# Tab. S1: CREA with c_k threshold 0.7 (Eq. (1); default 0.8). Generate with
# tools/expression_generation/generate_expressions.py --threshold 0.7.
_base_ = '../wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

wsrvos_train_pipeline = _base_.wsrvos_train_pipeline
wsrvos_train_pipeline[2]['ann_file'] = (
    'data/ref-youtube-vos/wsrvos_crea_train_thr0.7.json')
train_dataloader = dict(dataset=dict(pipeline=wsrvos_train_pipeline))
