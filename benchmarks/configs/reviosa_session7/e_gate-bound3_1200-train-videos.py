# e: a trained on 1200 synthetic training videos instead of 300 (the same
# val split: video i depends only on (seed, split, i)):
#   python tools/dataset_converters/make_synthetic_rvos.py \
#       --out data/synthetic_rvos_1200 --num-train 1200
_base_ = './a_gate-bound3.py'
data_root = 'data/synthetic_rvos_1200'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
