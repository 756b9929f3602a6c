# ReVIOsA-1B on MeViS valid_u, as the released code evaluates it
# (scripts/inference_mevis_valid_u.sh + eval_mevis.sh): every frame is
# predicted, the predictions are written as the official results.json
# (prediction_masks_act / prediction_masks_tar RLEs) and scored against
# valid_u's mask_dict.json (the Overall group = MeViS J&F).
#   python tools/test.py configs/reviosa/<this file> CHECKPOINT
#   python tools/analysis_tools/eval_interrvos.py \
#       work_dirs/reviosa_1b_mevis_valid_u/results.json --data-dir data/mevis/valid_u
_base_ = ['./reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py']
test_dataloader = dict(
    dataset=dict(type='RVOSMeViSDataset', data_root='data/mevis',
                 split='valid_u', ann_file='meta_expressions.json',
                 mask_file='mask_dict.json'))
test_evaluator = dict(
    type='ReVIOsAActorTargetMetric', _delete_=True,
    results_file='work_dirs/reviosa_1b_mevis_valid_u/results.json')
