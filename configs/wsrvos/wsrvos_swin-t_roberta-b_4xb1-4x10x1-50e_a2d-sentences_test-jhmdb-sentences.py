# Train on A2D-Sentences, evaluate on JHMDB-Sentences (paper Sec. S1).
_base_ = './wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

short_side = 320  # released code: short side 320 on A2D
expression_file = 'data/a2d-sentences/wsrvos_crea_train.json'
expression_prefix = 'a2d'  # released-code key prefix

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='RVOSA2DSentencesDataset',
        data_root='data/a2d-sentences',
        split='train',
        pipeline=[
            dict(type='RVOSFrameSample', num_frames=_base_.num_frames,
                 interval=_base_.frame_interval),
            dict(type='LoadRVOSFrames'),
            dict(type='LoadWSRVOSExpressions', ann_file=expression_file,
                 prefix=expression_prefix),
            dict(type='RVOSResize', short_side=short_side,
                 max_size=_base_.max_size),
            dict(type='RVOSRandomFlip', prob=0.5),
            dict(type='PackRVOSInputs',
                 algorithm_keys=('positive_texts', 'positive_confidences',
                                 'negative_texts')),
        ]))
val_dataloader = dict(
    batch_size=1,
    dataset=dict(
        _delete_=True,
        type='RVOSJHMDBSentencesDataset',
        data_root='data/jhmdb-sentences',
        test_mode=True,
        pipeline=[
            dict(type='RVOSFrameSample', test_mode=True),
            dict(type='LoadRVOSFrames'),
            dict(type='RVOSResize', short_side=short_side,
                 max_size=_base_.max_size),
            dict(type='LoadRVOSMasks'),
            dict(type='PackRVOSInputs'),
        ]))
test_dataloader = val_dataloader
