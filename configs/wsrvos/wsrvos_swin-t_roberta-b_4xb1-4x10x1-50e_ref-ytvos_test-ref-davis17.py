# WSRVOS primitive: Video-Swin-T + RoBERTa-base, 4 GPUs x 1 clip, T=4 frames
# at 10-frame intervals, 50 epochs, trained on Ref-YouTube-VOS
# (data/ref-youtube-vos, official layout) with text only, evaluated on
# Ref-DAVIS17 (data/ref-davis) without fine-tuning (paper Sec. S1, as SOC).
# The CREA expressions (Sec. 3.2) are generated once, offline:
#   python tools/expression_generation/generate_expressions.py \
#     --dataset ref-ytvos --data-root data/ref-youtube-vos ... \
#     --out data/ref-youtube-vos/wsrvos_crea_train.json   (docs/datasets.md)
# Every ablation inherits this file and changes 1-3 keys.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/ref-ytvos.py',
    '../_base_/models/wsrvos_swin-t_roberta-b.py',
    '../_base_/schedules/adamw-50e.py',
]
custom_imports = dict(
    imports=['rvos_plugin', 'projects.WSRVOS.wsrvos'],
    allow_failed_imports=False)

# 4 frames 10 video frames apart (Sec. 4.2; the dataset base counts the
# interval in video frames: 2 listed JPEGs), short side 360, long <= 640
expression_file = 'data/ref-youtube-vos/wsrvos_crea_train.json'  # Sec. 3.2
expression_prefix = 'ytvos'  # released-code key prefix

crea_expressions = dict(type='LoadWSRVOSExpressions', ann_file=expression_file,
                        prefix=expression_prefix)
# the Tab. 4 ablations change the expression sampling step (index 3 of
# wsrvos_train_pipeline; base: _base_/models/wsrvos_swin-t_roberta-b.py)
# text supervision only: no masks are loaded in training; the random flip
# swaps left/right in all texts
wsrvos_train_pipeline = [
    _base_.train_frame_sample, _base_.load_frames, crea_expressions,
    _base_.sample_expressions, _base_.resize, _base_.random_flip,
    _base_.pack_wsrvos_inputs
]
train_dataloader = dict(
    batch_size=1,  # released code: batch 1 per GPU
    dataset=dict(pipeline=wsrvos_train_pipeline))

# Ref-DAVIS17 validation/test (configs/_base_/datasets/ref-davis17.py):
# every frame, GT at the original size for the metric, DAVIS void = 255
wsrvos_test_pipeline = [
    _base_.test_frame_sample, _base_.load_frames, _base_.resize,
    dict(type='LoadRVOSFileMasks', void_value=255), _base_.pack_inputs
]
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
val_evaluator = dict(_delete_=True, type='RVOSRefDAVISMetric',
                     merge_overlaps=True)
test_evaluator = val_evaluator
