"""RVOSInterRVOSDataset: subsets, caption types, official subset files."""
import json
import os.path as osp
import shutil

import pytest

from rvos_plugin.datasets import RVOSAnnotationError
from rvos_plugin.datasets.interrvos_dataset import RVOSInterRVOSDataset
from rvos_plugin.testing._utils import make_mevis_fixture


@pytest.fixture
def root(tmp_path):
    make_mevis_fixture(str(tmp_path), split='val', num_videos=2)
    return str(tmp_path)


def _infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_subsets(root):
    full = RVOSInterRVOSDataset(data_root=root, split='val', test_mode=True)
    infos = _infos(full)
    assert len(infos) == 6  # 2 videos x (single, multi, unidirectional)
    at = _infos(RVOSInterRVOSDataset(data_root=root, split='val',
                                     subset='actor_target', test_mode=True))
    assert len(at) == 2
    assert all(i['has_target'] and i['caption_type'] == 'unidirectional'
               for i in at)
    assert all(i['target_anno_ids'] for i in at)
    ref = _infos(RVOSInterRVOSDataset(data_root=root, split='val',
                                      subset='referring', test_mode=True))
    assert len(ref) == 4 and not any(i['has_target'] for i in ref)
    multi = _infos(RVOSInterRVOSDataset(data_root=root, split='val',
                                        caption_types=['multi'],
                                        test_mode=True))
    assert [i['caption_type'] for i in multi] == ['multi', 'multi']


def test_caption_type_repeats_oversample_training_items(root):
    base = _infos(RVOSInterRVOSDataset(data_root=root, split='val'))
    rep = _infos(RVOSInterRVOSDataset(
        data_root=root, split='val',
        caption_type_repeats=dict(unidirectional=3, multi=1)))
    # 2 videos x (single, multi, 3 x unidirectional)
    assert len(base) == 6 and len(rep) == 10
    count = {}
    for i in rep:
        key = (i['video_id'], i['exp_id'])
        count[key] = count.get(key, 0) + 1
    for i in base:
        want = 3 if i['caption_type'] == 'unidirectional' else 1
        assert count[(i['video_id'], i['exp_id'])] == want
    with pytest.raises(ValueError, match='test_mode'):
        RVOSInterRVOSDataset(data_root=root, split='val', test_mode=True,
                             caption_type_repeats=dict(unidirectional=2))
    with pytest.raises(ValueError, match='unknown caption types'):
        RVOSInterRVOSDataset(data_root=root, split='val',
                             caption_type_repeats=dict(active=2))
    with pytest.raises(ValueError, match='integer >= 1'):
        RVOSInterRVOSDataset(data_root=root, split='val',
                             caption_type_repeats=dict(multi=0))


def test_official_subset_files(root):
    split = osp.join(root, 'val')
    meta = json.load(open(osp.join(split, 'meta_expressions.json')))
    # the official subset file keeps only video0
    meta['videos'] = {'video0': meta['videos']['video0']}
    json.dump(meta, open(osp.join(split, 'new_meta_expressions.json'), 'w'))
    shutil.copy(osp.join(split, 'mask_dict.json'),
                osp.join(split, 'new_mask_dict.json'))
    ds = RVOSInterRVOSDataset(data_root=root, split='val',
                              subset='actor_target',
                              official_subset_files=True, test_mode=True)
    infos = _infos(ds)
    assert [i['video_id'] for i in infos] == ['video0']
    assert infos[0]['mask_source'].endswith('new_mask_dict.json')


def test_errors(root):
    with pytest.raises(ValueError, match='subset'):
        RVOSInterRVOSDataset(data_root=root, split='val', subset='x')
    with pytest.raises(ValueError, match='caption_types'):
        RVOSInterRVOSDataset(data_root=root, split='val',
                             caption_types=['interaction'])
    with pytest.raises(FileNotFoundError, match='new_meta_expressions'):
        RVOSInterRVOSDataset(data_root=root, split='val',
                             subset='actor_target',
                             official_subset_files=True)
    split = osp.join(root, 'val')
    meta = json.load(open(osp.join(split, 'meta_expressions.json')))
    del meta['videos']['video1']['expressions']['0']['caption_type']
    json.dump(meta, open(osp.join(split, 'meta_expressions.json'), 'w'))
    with pytest.raises(RVOSAnnotationError,
                       match="video 'video1' expression '0'.*caption_type"):
        RVOSInterRVOSDataset(data_root=root, split='val')
    ds = RVOSInterRVOSDataset(data_root=root, split='val',
                              require_caption_type=False)
    assert len(ds) == 6
