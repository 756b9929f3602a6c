"""Bad COCO RLEs at every reader (the shared checked decoder): the training
pipeline, the evaluation GT reader and the PNG converter."""
import numpy as np
import pytest
from _robust_utils import write_json

from rvos_plugin.datasets.transforms.loading import (LoadRVOSMasks,
                                                     RVOSDataError)
from rvos_plugin.evaluation.functional.mask_io import decode_rle_union
from rvos_plugin.evaluation.functional.rle import encode_rle
from rvos_plugin.testing import load_tool_module as tool_module

mask_dict_png = tool_module('dataset_converters', 'mask_dict_png')

GOOD = encode_rle(np.eye(6, dtype=np.uint8))  # 6x6
BAD_RLES = {
    'truncated_counts': dict(GOOD, counts=GOOD['counts'][:-2]),
    'runs_too_long': dict(size=[6, 6], counts=[10, 30]),
    'runs_too_short': dict(size=[6, 6], counts=[3, 4]),
    'negative_run': dict(size=[6, 6], counts=[40, -4]),
    'garbage_counts': dict(size=[6, 6], counts='\x7f\x7f~~'),
    'declared_size_wrong': dict(GOOD, size=[5, 6]),
    'size_not_pair': dict(GOOD, size=[36]),
}


@pytest.mark.parametrize('case', sorted(BAD_RLES))
def test_training_pipeline_names_mask_dict_and_anno(case):
    results = dict(frame_inds=[0], mask_rles={5: [BAD_RLES[case]]},
                   anno_ids=[5], target_anno_ids=[], ori_shape=(6, 6),
                   mask_source='data/x/mask_dict.json')
    with pytest.raises((RVOSDataError, ValueError),
                       match=r'mask_dict.json.*anno id 5|anno id 5.*'
                       r'mask_dict.json'):
        LoadRVOSMasks()(results)


@pytest.mark.parametrize('case', sorted(BAD_RLES))
def test_evaluation_gt_reader_names_the_source(case):
    with pytest.raises(ValueError, match='gt_mask_dict.json'):
        decode_rle_union([BAD_RLES[case]], (6, 6),
                         'gt_mask_dict.json (video v, frame 0)')


@pytest.mark.parametrize('case', sorted(BAD_RLES))
def test_png_converter_names_file_anno_and_frame(tmp_path, case):
    path = str(tmp_path / 'conv_mask_dict.json')
    write_json(path, {'7': [GOOD, BAD_RLES[case]]})
    with pytest.raises(ValueError, match='conv_mask_dict.json'):
        mask_dict_png.mask_dict_to_png(path, str(tmp_path / 'out'))
