# The pipelines and data loaders shared by every dataset config of this
# folder (official layouts and the synthetic set). A dataset config inherits
# this file, sets dataset_type / data_root, changes the named steps that
# differ through `_base_` (e.g. `resize = _base_.resize` then
# `resize.short_side = 360`) and rebuilds the two pipelines from the names:
# mmengine evaluates each file once, so a list here never sees a child's
# variables. Method configs compose their own pipelines from the same names
# (`_base_.train_frame_sample`, `_base_.resize`, ...), which keeps them
# independent of the dataset.
dataset_type = None   # set by the dataset config
data_root = None      # set by the dataset config
num_frames = 4        # T frames per training clip
frame_interval = 1    # step between training frames
short_side = 320      # WSRVOS Sec. 4.1 default
max_size = 640

train_frame_sample = dict(type='RVOSFrameSample', num_frames=num_frames,
                          interval=frame_interval)
test_frame_sample = dict(type='RVOSFrameSample', test_mode=True)
load_frames = dict(type='LoadRVOSFrames')
load_annotations = dict(type='LoadRVOSMasks')  # MeViS-format RLE dicts
resize = dict(type='RVOSResize', short_side=short_side, max_size=max_size)
random_flip = dict(type='RVOSRandomFlip', prob=0.5)
pack_inputs = dict(type='PackRVOSInputs')

train_pipeline = [train_frame_sample, load_frames, load_annotations, resize,
                  random_flip, pack_inputs]
# masks after the resize: the metrics compare at the original size
test_pipeline = [test_frame_sample, load_frames, resize, load_annotations,
                 pack_inputs]
train_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='valid',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RVOSJFMetric')
test_evaluator = val_evaluator
