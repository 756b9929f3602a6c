# WSRVOS on A2D-Sentences (data/a2d_sentences, official release layout):
# trained with text only, tested on the A2D test split with the Table 1
# protocol (RVOSA2DMetric: overall IoU, mean IoU, mAP@0.5:0.95, P@0.5:0.9 on
# the annotated frames; one mask per expression, so mAP ranks that mask).
# CREA expressions, generated once offline (docs/datasets.md):
#   python tools/expression_generation/generate_expressions.py \
#     --dataset a2d --data-root data/a2d_sentences ... \
#     --out data/a2d_sentences/wsrvos_crea_train.json
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/a2d-sentences.py',
    '../_base_/models/wsrvos_swin-t_roberta-b.py',
    '../_base_/schedules/adamw-50e.py',
]
custom_imports = dict(
    imports=['rvos_plugin', 'projects.WSRVOS.wsrvos'],
    allow_failed_imports=False)

# Sec. 4.2: T = 4 frames at 10-frame intervals, here around the annotated
# frame (slots -20, -10, 0, +10; clamped at the video ends), in training and
# testing. The released code uses 4 consecutive frames: frame_interval = 1.
frame_interval = 10
expression_file = 'data/a2d_sentences/wsrvos_crea_train.json'  # Sec. 3.2
expression_prefix = 'a2d'  # keys a2d:<video>:<frame:05d>_<instance>

clip_sample = dict(type='RVOSCentredFrameSample',
                   num_frames=_base_.num_frames, interval=frame_interval)
crea_expressions = dict(type='LoadWSRVOSExpressions', ann_file=expression_file,
                        prefix=expression_prefix)
wsrvos_train_pipeline = [  # text only: no mask is loaded
    clip_sample, _base_.load_frames, crea_expressions,
    _base_.sample_expressions,
    _base_.resize, _base_.random_flip, _base_.pack_wsrvos_inputs
]
wsrvos_test_pipeline = [  # GT of the annotated frame, original size
    clip_sample, _base_.load_frames, _base_.resize, _base_.load_annotations,
    _base_.pack_inputs
]
train_dataloader = dict(dataset=dict(pipeline=wsrvos_train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=wsrvos_test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RVOSA2DMetric', map_queries='top1')
test_evaluator = val_evaluator
