# Ref-YouTube-VOS, official layout (RVOSRefYouTubeVOSDataset).
# valid = the 202 videos of valid minus test; scoring is server-only, so the
# evaluator writes the submission zip.
dataset_type = 'RVOSRefYouTubeVOSDataset'
data_root = 'data/ref-youtube-vos'
num_frames = 4        # WSRVOS Sec. 4.1: 4 frames ...
frame_interval = 10   # ... at interval 10 on Ref-YouTube-VOS
short_side = 360      # WSRVOS Sec. 4.1: short side 360 on Ref-YTVOS
max_size = 640

train_pipeline = [
    dict(type='RVOSFrameSample', num_frames=num_frames,
         interval=frame_interval),
    dict(type='LoadRVOSFrames'),
    dict(type='LoadRVOSFileMasks'),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
    dict(type='RVOSRandomFlip', prob=0.5),
    dict(type='PackRVOSInputs'),
]
test_pipeline = [
    dict(type='RVOSFrameSample', test_mode=True),
    dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
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
                 test_ann_file='meta_expressions/test/meta_expressions.json',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RVOSRefYTVOSSubmission',
                     outfile_prefix='work_dirs/ref_ytvos_submission')
test_evaluator = val_evaluator
