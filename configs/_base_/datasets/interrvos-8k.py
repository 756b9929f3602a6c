# InterRVOS-8K (MeViS format + caption_type and actor/target roles), read by
# RVOSInterRVOSDataset (a RVOSMeViSDataset subclass: subsets, caption types);
# plain `RVOSMeViSDataset` also reads it (no caption_type check).
_base_ = './rvos_pipelines.py'
dataset_type = 'RVOSInterRVOSDataset'
data_root = 'data/InterRVOS'
# ReVIOsA (InterRVOS paper) Sec. 5: 4 frames (interval 1); short side 320 /
# long side <= 640 as for the other MeViS-format sets (WSRVOS Sec. 4.1)

train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                   split='val'))
test_dataloader = val_dataloader
# Referring / Actor-Target / Overall (InterRVOS Table 5) + caption types.
val_evaluator = dict(type='ReVIOsAActorTargetMetric')
test_evaluator = val_evaluator
