# A2D-Sentences, official release layout (RVOSA2DSentencesDataset).
# Sample = (query, video, annotated frame, instance); clip = window centred on
# the annotated frame, only the centre frame has a target (MTTR protocol).
_base_ = './rvos_pipelines.py'
dataset_type = 'RVOSA2DSentencesDataset'
data_root = 'data/a2d_sentences'
frame_interval = 1    # consecutive frames around the annotated one (MTTR);
                      # the WSRVOS configs set 10 (Sec. 4.2)
# 4-frame window, short side 320 / long side <= 640: WSRVOS Sec. 4.1

train_frame_sample = dict(type='RVOSCentredFrameSample',
                          num_frames=_base_.num_frames,
                          interval=frame_interval)
test_frame_sample = dict(type='RVOSCentredFrameSample',
                         num_frames=_base_.num_frames,
                         interval=frame_interval)
load_annotations = dict(type='LoadRVOSFileMasks')  # instance h5
train_pipeline = [train_frame_sample, _base_.load_frames, load_annotations,
                  _base_.resize, _base_.random_flip, _base_.pack_inputs]
test_pipeline = [test_frame_sample, _base_.load_frames, _base_.resize,
                 load_annotations, _base_.pack_inputs]
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                   split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
# mAP over all query masks when the model provides pred_instances
# (MTTR 50 queries, ReferFormer 5); 'top1' is ~3 points lower.
val_evaluator = dict(type='RVOSA2DMetric', map_queries='all')
test_evaluator = val_evaluator
