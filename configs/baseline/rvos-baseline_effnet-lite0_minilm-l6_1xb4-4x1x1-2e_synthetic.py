# 2-epoch primitive with training clips of consecutive frames (interval 1),
# the frame step of whole-video inference, so the temporal convs see the same
# per-step motion in training and testing.
_base_ = './rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_synthetic.py'

frame_interval = 1
train_pipeline = [
    dict(type='RVOSFrameSample', num_frames=_base_.num_frames,
         interval=frame_interval),
    dict(type='LoadRVOSFrames'),
    dict(type='LoadRVOSMasks'),
    dict(type='RVOSResize', scale=(_base_.image_size, _base_.image_size)),
    dict(type='RVOSRandomFlip', prob=0.5),
    dict(type='PackRVOSInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
