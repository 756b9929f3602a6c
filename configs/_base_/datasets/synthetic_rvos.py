# The embedded default: the synthetic RVOS set written by
# `python tools/dataset_converters/make_synthetic_rvos.py --out data/synthetic_rvos`
# in the official InterRVOS/MeViS format, read by the real loader.
dataset_type = 'RVOSMeViSDataset'
data_root = 'data/synthetic_rvos'
num_frames = 4        # T frames per training clip
frame_interval = 2    # step between training frames
image_size = 96       # frames are generated at this size

train_pipeline = [
    dict(type='RVOSFrameSample', num_frames=num_frames, interval=frame_interval),
    dict(type='LoadRVOSFrames'),
    dict(type='LoadRVOSMasks'),
    dict(type='RVOSResize', scale=(image_size, image_size)),
    dict(type='RVOSRandomFlip', prob=0.5),
    dict(type='PackRVOSInputs'),
]
test_pipeline = [
    dict(type='RVOSFrameSample', test_mode=True),
    dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', scale=(image_size, image_size)),
    dict(type='LoadRVOSMasks'),  # after the resize: GT stays at original size
    dict(type='PackRVOSInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    # workers are re-created (and re-seeded) every epoch: exact resume
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,  # whole videos of different lengths
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='valid',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='RVOSJFMetric')
test_evaluator = val_evaluator
