# Ref-YouTube-VOS, official layout (RVOSRefYouTubeVOSDataset).
# valid = the 202 videos of valid minus test; scoring is server-only, so the
# evaluator writes the submission zip.
_base_ = './rvos_pipelines.py'
dataset_type = 'RVOSRefYouTubeVOSDataset'
data_root = 'data/ref-youtube-vos'
frame_interval = 10   # WSRVOS Sec. 4.2: T = 4 frames at 10-frame intervals,
short_side = 360      # counted in video frames (JPEGImages keep every 5th
                      # frame: 2 listed frames, as the released code)

train_frame_sample = _base_.train_frame_sample
train_frame_sample.interval = frame_interval
train_frame_sample.interval_unit = 'frame_number'
load_annotations = dict(type='LoadRVOSFileMasks')  # palette PNGs
resize = _base_.resize
resize.short_side = short_side  # WSRVOS Sec. 4.1: short side 360 here
train_pipeline = [train_frame_sample, _base_.load_frames, load_annotations,
                  resize, _base_.random_flip, _base_.pack_inputs]
# valid has no masks
test_pipeline = [_base_.test_frame_sample, _base_.load_frames, resize,
                 _base_.pack_inputs]
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    type=dataset_type, data_root=data_root,
    test_ann_file='meta_expressions/test/meta_expressions.json',
    pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RVOSRefYTVOSSubmission',
                     outfile_prefix='work_dirs/ref_ytvos_submission')
test_evaluator = val_evaluator
