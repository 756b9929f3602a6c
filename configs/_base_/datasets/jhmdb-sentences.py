# JHMDB-Sentences (evaluation only; models are trained on A2D-Sentences).
# 3 random frames per video, frozen in the sample-list JSON (seed below).
dataset_type = 'RVOSJHMDBSentencesDataset'
data_root = 'data/jhmdb_sentences'
num_frames = 4        # WSRVOS Sec. 4.1: 4-frame window
frame_interval = 1
short_side = 320      # WSRVOS Sec. 4.1
max_size = 640

train_pipeline = []   # no training split
test_pipeline = [
    dict(type='RVOSCentredFrameSample', num_frames=num_frames),
    dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', short_side=short_side, max_size=max_size),
    dict(type='LoadRVOSFileMasks'),
    dict(type='PackRVOSInputs'),
]
train_dataloader = None
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, seed=42,
                 sample_list_file='jhmdb_sentences_samples_metadata.json',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RVOSA2DMetric', map_queries='all',
                     prefix='jhmdb')
test_evaluator = val_evaluator
