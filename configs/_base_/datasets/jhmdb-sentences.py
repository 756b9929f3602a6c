# JHMDB-Sentences (evaluation only; models are trained on A2D-Sentences).
# 3 random frames per video, frozen in the sample-list JSON (seed below).
_base_ = './rvos_pipelines.py'
dataset_type = 'RVOSJHMDBSentencesDataset'
data_root = 'data/jhmdb_sentences'
# 4-frame window, short side 320 / long side <= 640: WSRVOS Sec. 4.1

test_frame_sample = dict(type='RVOSCentredFrameSample',
                         num_frames=_base_.num_frames)
load_annotations = dict(type='LoadRVOSFileMasks')  # puppet_mask.mat
train_pipeline = []   # no training split
test_pipeline = [test_frame_sample, _base_.load_frames, _base_.resize,
                 load_annotations, _base_.pack_inputs]
train_dataloader = None
val_dataloader = dict(dataset=dict(
    _delete_=True, type=dataset_type, data_root=data_root, seed=42,
    sample_list_file='jhmdb_sentences_samples_metadata.json',
    test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RVOSA2DMetric', map_queries='all',
                     prefix='jhmdb')
test_evaluator = val_evaluator
