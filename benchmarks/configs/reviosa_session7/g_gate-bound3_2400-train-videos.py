# g: a trained on 2400 synthetic training videos (same val split):
#   python tools/dataset_converters/make_synthetic_rvos.py \
#       --out data/synthetic_rvos_2400 --num-train 2400
_base_ = './a_gate-bound3.py'
data_root = 'data/synthetic_rvos_2400'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
