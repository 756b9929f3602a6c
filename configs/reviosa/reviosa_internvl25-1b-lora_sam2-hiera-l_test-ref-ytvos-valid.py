# ReVIOsA-1B on Ref-YouTube-VOS valid (server-only GT), as the released code
# does it (scripts/inference_youtube.sh, --submit): format-only,
# Annotations/<video>/<exp_id>/<frame>.png (0/255) of every listed frame,
# zipped for the CodaLab server.
#   python tools/test.py configs/reviosa/<this file> CHECKPOINT
#   -> work_dirs/reviosa_1b_ref_ytvos_valid_submission.zip
_base_ = ['./reviosa_internvl25-1b-lora_sam2-hiera-l_4xb2-10e_interrvos-8k.py']
test_pipeline = [  # valid has no masks
    dict(type='RVOSFrameSample', test_mode=True),
    dict(type='LoadRVOSFrames'),
    dict(type='RVOSResize', short_side=360, max_size=640),
    dict(type='PackRVOSInputs'),
]
test_dataloader = dict(
    dataset=dict(
        type='RVOSRefYouTubeVOSDataset', _delete_=True,
        data_root='data/ref-youtube-vos', split='valid',
        test_ann_file='meta_expressions/test/meta_expressions.json',
        test_mode=True, pipeline=test_pipeline))
test_evaluator = dict(
    type='RVOSRefYTVOSSubmission', _delete_=True,
    outfile_prefix='work_dirs/reviosa_1b_ref_ytvos_valid_submission')
