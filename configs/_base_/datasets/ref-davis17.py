# Ref-DAVIS17 in the Ref-YTVOS layout made by
# tools/dataset_converters/ref_davis17_to_ytvos.py. Usually evaluated with a
# model trained on Ref-YouTube-VOS; reported J&F = mean over 4 annotator sets.
_base_ = './rvos_pipelines.py'
dataset_type = 'RVOSRefDAVIS17Dataset'
data_root = 'data/ref-davis'
frame_interval = 10   # as Ref-YTVOS (the Ref-YTVOS model is reused)
short_side = 360      # WSRVOS Sec. 4.1 (Ref-YTVOS setting)

train_frame_sample = _base_.train_frame_sample
train_frame_sample.interval = frame_interval
load_annotations = dict(type='LoadRVOSFileMasks', void_value=255)  # void
resize = _base_.resize
resize.short_side = short_side
train_pipeline = [train_frame_sample, _base_.load_frames, load_annotations,
                  resize, _base_.random_flip, _base_.pack_inputs]
test_pipeline = [_base_.test_frame_sample, _base_.load_frames, resize,
                 load_annotations, _base_.pack_inputs]
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    type=dataset_type, data_root=data_root,
    annotator=None,  # all 4 sets; 0..3 picks one
    pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RVOSRefDAVISMetric', merge_overlaps=True)
test_evaluator = val_evaluator
