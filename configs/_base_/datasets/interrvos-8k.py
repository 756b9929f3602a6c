# InterRVOS-8K (MeViS format + caption_type and actor/target roles), read by
# RVOSInterRVOSDataset (a RVOSMeViSDataset subclass: subsets, caption types);
# plain `RVOSMeViSDataset` also reads it (no caption_type check).
dataset_type = 'RVOSInterRVOSDataset'
data_root = 'data/InterRVOS'
num_frames = 4        # ReVIOsA (InterRVOS paper) Sec. 5: 4 frames
frame_interval = 1
short_side = 320      # WSRVOS Sec. 4.1 default for MeViS-format sets
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
    dataset=dict(type=dataset_type, data_root=data_root, split='val',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
# Referring / Actor-Target / Overall (InterRVOS Table 5) + caption types.
val_evaluator = dict(type='ReVIOsAActorTargetMetric')
test_evaluator = val_evaluator
