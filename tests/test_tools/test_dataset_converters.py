"""COCO GT converter and mask_dict <-> PNG round trip."""
import json
import os.path as osp
import sys

import numpy as np
import pytest

from rvos_plugin.testing import make_a2d_fixture
from rvos_plugin.testing.official_formats import box_mask, write_mask_dict

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))


def test_a2d_to_coco(tmp_path):
    from a2d_jhmdb_to_coco import convert
    make_a2d_fixture(str(tmp_path / 'a2d'), write_mp4=False,
                     write_frames=False)
    out = str(tmp_path / 'coco.json')
    assert convert('a2d', str(tmp_path / 'a2d'), out, 'train') == 4
    coco = json.load(open(out))
    assert [i['id'] for i in coco['images']] == [1, 2, 3, 4]
    assert coco['images'][1]['file_name'] == 'v_vidTrain01_f_3_i_1'
    assert coco['annotations'][1]['area'] == 6 * 8


def test_mask_dict_png_round_trip_and_wrong_size(tmp_path):
    from mask_dict_png import mask_dict_to_png, png_to_mask_dict
    masks = {3: [box_mask((10, 12), 1, 1, 3, 4), None,
                 box_mask((10, 12), 5, 5, 2, 2)]}
    write_mask_dict(str(tmp_path / 'md.json'), masks)
    assert mask_dict_to_png(str(tmp_path / 'md.json'),
                            str(tmp_path / 'png')) == 2
    png_to_mask_dict(str(tmp_path / 'png'), str(tmp_path / 'back.json'), 3)
    assert json.load(open(tmp_path / 'back.json')) == json.load(
        open(tmp_path / 'md.json'))
    masks[3][2] = box_mask((9, 12), 1, 1, 2, 2)  # wrong size
    write_mask_dict(str(tmp_path / 'bad.json'), masks)
    with pytest.raises(ValueError, match=r'bad.json: anno id 3, frame 2'):
        mask_dict_to_png(str(tmp_path / 'bad.json'), str(tmp_path / 'p2'))
    with pytest.warns(UserWarning, match='skipped 1 invalid RLE'):
        assert mask_dict_to_png(str(tmp_path / 'bad.json'),
                                str(tmp_path / 'p3'), skip_invalid=True) == 1


def test_rle_of_wrong_size_in_pipeline_names_file(tmp_path):
    from rvos_plugin.datasets.transforms.loading import (LoadRVOSMasks,
                                                         RVOSDataError)
    from rvos_plugin.testing._utils import encode_rle
    results = dict(frame_inds=[0], mask_rles={5: [encode_rle(
        np.ones((4, 4), np.uint8))]}, anno_ids=[5], target_anno_ids=[],
        ori_shape=(6, 6), mask_source='x/mask_dict.json')
    with pytest.raises(RVOSDataError, match='mask_dict.json: anno id 5'):
        LoadRVOSMasks()(results)
