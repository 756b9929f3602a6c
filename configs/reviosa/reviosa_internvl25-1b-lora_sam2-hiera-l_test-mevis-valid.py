# ReVIOsA-1B on MeViS valid (server-only GT), as the released code does it
# (scripts/inference_mevis_valid.sh, --submit): format-only, the actor
# masks of every frame are written as 0/255 PNGs <video>/<exp_id>/<frame>.png
# and zipped for the MeViS CodaLab server.
#   python tools/test.py configs/reviosa/<this file> CHECKPOINT
#   -> work_dirs/reviosa_1b_mevis_valid_submission.zip
_base_ = ['./reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py']
test_pipeline = [  # valid has no masks: no LoadRVOSMasks
    dict(type='RVOSFrameSample', test_mode=True),
    dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', short_side=320, max_size=640),
    dict(type='PackRVOSInputs'),
]
test_dataloader = dict(
    dataset=dict(type='RVOSMeViSDataset', data_root='data/mevis',
                 split='valid', ann_file='meta_expressions.json',
                 mask_file=None, pipeline=test_pipeline))
test_evaluator = dict(
    type='RVOSJFMetric', _delete_=True, format_only=True,
    outfile_prefix='work_dirs/reviosa_1b_mevis_valid_submission')
