# Ref-DAVIS17 in the Ref-YTVOS layout made by
# tools/dataset_converters/ref_davis17_to_ytvos.py. Usually evaluated with a
# model trained on Ref-YouTube-VOS; reported J&F = mean over 4 annotator sets.
dataset_type = 'RVOSRefDAVIS17Dataset'
data_root = 'data/ref-davis'
num_frames = 4        # WSRVOS Sec. 4.1
frame_interval = 10   # as Ref-YTVOS (the Ref-YTVOS model is reused)
short_side = 360      # WSRVOS Sec. 4.1 (Ref-YTVOS setting)
max_size = 640

train_pipeline = [
    dict(type='RVOSFrameSample', num_frames=num_frames,
         interval=frame_interval),
    dict(type='LoadRVOSFrames'),
    dict(type='LoadRVOSFileMasks', void_value=255),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
    dict(type='RVOSRandomFlip', prob=0.5),
    dict(type='PackRVOSInputs'),
]
test_pipeline = [
    dict(type='RVOSFrameSample', test_mode=True),
    dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
    dict(type='LoadRVOSFileMasks', void_value=255),  # DAVIS void = 255
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
    dataset=dict(type=dataset_type, data_root=data_root, split='valid',
                 annotator=None,  # all 4 sets; 0..3 picks one
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RVOSRefDAVISMetric', merge_overlaps=True)
test_evaluator = val_evaluator
