# The primitive tested on the official Ref-YouTube-VOS valid split (the 202
# videos of valid minus test, data/ref-youtube-vos): masks of every listed
# frame written as Annotations/<vid>/<exp_id>/<frame>.png and zipped into
# work_dirs/ref_ytvos_submission.zip for the evaluation server (Tab. 1).
#   python tools/test.py configs/wsrvos/<this file> <checkpoint>
_base_ = './wsrvos_swin-t_roberta-b_4xb1-4x10x1-50e_ref-ytvos_test-ref-davis17.py'

val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='RVOSRefYouTubeVOSDataset',
        data_root=_base_.data_root,
        split='valid',
        test_ann_file='meta_expressions/test/meta_expressions.json',
        test_mode=True,
        pipeline=_base_.test_pipeline))  # ref-ytvos.py: no masks in valid
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='RVOSRefYTVOSSubmission',
                     outfile_prefix='work_dirs/ref_ytvos_submission')
test_evaluator = val_evaluator
