# ReVIOsA-1B, joint actor-target training (Table 5 / Table 6 (c)) -- primitive.
# bash tools/dist_train.sh configs/reviosa/<this file> 4
_base_ = [
    '../_base_/models/reviosa_internvl25-1b_sam2-hiera-l.py',
    '../_base_/datasets/interrvos-8k.py',
    '../_base_/schedules/adamw-10e_deepspeed-zero2.py',
    '../_base_/default_runtime.py',
]
default_scope = 'mmdet'
custom_imports = dict(
    imports=['rvos_plugin', 'projects.ReVIOsA.reviosa'],
    allow_failed_imports=False)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2))
train_dataloader = dict(batch_size=2)  # App. A.1 / released: batch 2 per GPU
val_evaluator = dict(type='ReVIOsAActorTargetMetric', _delete_=True)
test_evaluator = val_evaluator
