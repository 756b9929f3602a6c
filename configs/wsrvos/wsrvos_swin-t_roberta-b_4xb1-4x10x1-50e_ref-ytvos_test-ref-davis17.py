# WSRVOS primitive: Video-Swin-T + RoBERTa-base, 4 GPUs x 1 clip, T=4 frames
# at interval 10, 50 epochs, trained on Ref-YouTube-VOS with text only,
# evaluated on Ref-DAVIS17 without fine-tuning (paper Sec. S1, as SOC).
# Every other WSRVOS config inherits this file and changes 1-3 keys.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/ref-ytvos.py',
    '../_base_/models/wsrvos_swin-t_roberta-b.py',
]
custom_imports = dict(
    imports=['rvos_plugin', 'projects.WSRVOS.wsrvos'],
    allow_failed_imports=False)

num_frames = 4  # T = 4 sampled frames, Sec. 4.2 (following ReferFormer)
frame_interval = 10  # 10-frame intervals, Sec. 4.2
short_side = 360  # released code: short side 360 on Ref-YTVOS (320 on A2D)
max_size = 640  # released code
expression_file = 'data/ref-ytvos/wsrvos_crea_train.json'  # Sec. 3.2 (CREA)
expression_prefix = 'ytvos'  # released-code key prefix

wsrvos_train_pipeline = [
    dict(type='RVOSFrameSample', num_frames=num_frames,
         interval=frame_interval),
    dict(type='LoadRVOSFrames'),
    # text supervision only: no LoadRVOSMasks in training
    dict(type='LoadWSRVOSExpressions', ann_file=expression_file,
         prefix=expression_prefix),
    # P positives / N negatives drawn in the pipeline (Sec. 4.2)
    dict(type='WSRVOSSampleExpressions', num_positives=_base_.num_positives,
         num_negatives=_base_.num_negatives),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
    dict(type='RVOSRandomFlip', prob=0.5),  # swaps left/right in all texts
    dict(type='PackRVOSInputs',
         algorithm_keys=('positive_texts', 'positive_confidences',
                         'negative_texts')),
]
wsrvos_test_pipeline = [
    dict(type='RVOSFrameSample', test_mode=True),
    dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
    # GT at original size, for the metric only; DAVIS void = 255
    dict(type='LoadRVOSFileMasks', void_value=255),
    dict(type='PackRVOSInputs'),
]
train_dataloader = dict(
    batch_size=1,  # released code: batch 1 per GPU
    dataset=dict(pipeline=wsrvos_train_pipeline))

# Ref-DAVIS17 validation/test
val_dataloader = dict(
    batch_size=1,
    dataset=dict(
        _delete_=True,
        type='RVOSRefDAVIS17Dataset',
        data_root='data/ref-davis',  # as configs/_base_/datasets/ref-davis17.py
        split='valid',
        test_mode=True,
        pipeline=wsrvos_test_pipeline))
test_dataloader = val_dataloader
# Ref-DAVIS17 protocol (ReferFormer): DAVIS unsupervised J&F with Hungarian
# id matching, per annotator set, mean of the 4 sets.
val_evaluator = dict(_delete_=True, type='RVOSRefDAVISMetric', merge_overlaps=True)
test_evaluator = val_evaluator

# schedule, Sec. 4.2: AdamW, lr 1e-4, weight decay 5e-4, 50 epochs
max_epochs = 50
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=5e-4))
param_scheduler = []  # constant learning rate (Sec. 4.2 names none)
auto_scale_lr = dict(enable=False, base_batch_size=4)  # 4 GPUs x 1 clip
