# A2D-Sentences, official release layout (RVOSA2DSentencesDataset).
# Sample = (query, video, annotated frame, instance); clip = window centred on
# the annotated frame, only the centre frame has a target (MTTR protocol).
dataset_type = 'RVOSA2DSentencesDataset'
data_root = 'data/a2d_sentences'
num_frames = 4        # WSRVOS Sec. 4.1: 4-frame window
frame_interval = 1    # consecutive frames around the annotated one (MTTR)
short_side = 320      # WSRVOS Sec. 4.1: short side 320 ...
max_size = 640        # ... long side at most 640

train_pipeline = [
    dict(type='RVOSCentredFrameSample', num_frames=num_frames),
    dict(type='LoadRVOSFrames'),
    dict(type='LoadRVOSFileMasks'),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
    dict(type='RVOSRandomFlip', prob=0.5),
    dict(type='PackRVOSInputs'),
]
test_pipeline = [
    dict(type='RVOSCentredFrameSample', num_frames=num_frames),
    dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
    dict(type='LoadRVOSFileMasks'),  # after the resize: GT at original size
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
    dataset=dict(type=dataset_type, data_root=data_root, split='test',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
# mAP over all query masks when the model provides pred_instances
# (MTTR 50 queries, ReferFormer 5); 'top1' is ~3 points lower.
val_evaluator = dict(type='RVOSA2DMetric', map_queries='all')
test_evaluator = val_evaluator
