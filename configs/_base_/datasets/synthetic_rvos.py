# The embedded default: the synthetic RVOS set written by
# `python tools/dataset_converters/make_synthetic_rvos.py --out data/synthetic_rvos`
# in the official InterRVOS/MeViS format, read by the real loader.
_base_ = './rvos_pipelines.py'
dataset_type = 'RVOSMeViSDataset'
data_root = 'data/synthetic_rvos'
frame_interval = 2    # step between training frames
image_size = 96       # frames are generated at this size

train_frame_sample = _base_.train_frame_sample
train_frame_sample.interval = frame_interval
fixed_resize = dict(type='RVOSResize', scale=(image_size, image_size))
train_pipeline = [train_frame_sample, _base_.load_frames,
                  _base_.load_annotations, fixed_resize, _base_.random_flip,
                  _base_.pack_inputs]
# after the resize: GT stays at original size
test_pipeline = [_base_.test_frame_sample, _base_.load_frames, fixed_resize,
                 _base_.load_annotations, _base_.pack_inputs]

train_dataloader = dict(
    batch_size=4,
    # workers are re-created (and re-seeded) every epoch: exact resume
    persistent_workers=False,
    dataset=dict(type=dataset_type, data_root=data_root,
                 pipeline=train_pipeline))
val_dataloader = dict(  # batch 1: whole videos of different lengths
    dataset=dict(type=dataset_type, data_root=data_root,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
