# MeViS, official layout (RVOSMeViSDataset); valid_u has masks, valid is
# server-only (write PNGs with RVOSJFMetric(format_only=True, ...)).
dataset_type = 'RVOSMeViSDataset'
data_root = 'data/mevis'
num_frames = 4        # WSRVOS Sec. 4.1
frame_interval = 1
short_side = 320      # WSRVOS Sec. 4.1
max_size = 640

train_pipeline = [
    dict(type='RVOSFrameSample', num_frames=num_frames,
         interval=frame_interval),
    dict(type='LoadRVOSFrames'),
    dict(type='LoadRVOSMasks'),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
    dict(type='RVOSRandomFlip', prob=0.5),
    dict(type='PackRVOSInputs'),
]
test_pipeline = [
    dict(type='RVOSFrameSample', test_mode=True),
    dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
    dict(type='LoadRVOSMasks'),
    dict(type='PackRVOSInputs'),
]
train_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='valid_u',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RVOSJFMetric')
test_evaluator = val_evaluator
