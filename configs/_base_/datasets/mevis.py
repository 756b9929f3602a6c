# MeViS, official layout (RVOSMeViSDataset); valid_u has masks, valid is
# server-only (write PNGs with RVOSJFMetric(format_only=True, ...)).
_base_ = './rvos_pipelines.py'
dataset_type = 'RVOSMeViSDataset'
data_root = 'data/mevis'
# 4 frames at interval 1, short side 320 / long side <= 640: WSRVOS Sec. 4.1

train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                   split='valid_u'))
test_dataloader = val_dataloader
