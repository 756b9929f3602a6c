"""The four official-layout datasets load fixtures in their exact formats."""
import json
import os.path as osp
import sys

import h5py
import numpy as np
import pytest

from rvos_plugin.datasets.transforms.centred_sampling import centred_window
from rvos_plugin.datasets.transforms.loading import RVOSDataError
from rvos_plugin.registry import DATASETS
from rvos_plugin.testing import (make_a2d_fixture, make_davis17_raw_fixture,
                                 make_jhmdb_fixture, make_ref_ytvos_fixture,
                                 make_ytvos_test_list)
from rvos_plugin.structures import stack_frame_masks

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def _pipeline(num_frames=None, void=None, test=False):
    sample = (dict(type='RVOSCentredFrameSample', num_frames=num_frames)
              if num_frames else dict(type='RVOSFrameSample', test_mode=test,
                                      num_frames=2, interval=1))
    return [sample, dict(type='LoadRVOSFrames'),
            dict(type='LoadRVOSFileMasks', void_value=void),
            dict(type='PackRVOSInputs')]


def test_centred_window_clamps_and_centres():
    assert centred_window(0, 4, 10) == [0, 0, 0, 1]
    assert centred_window(5, 4, 10) == [3, 4, 5, 6]
    assert centred_window(9, 5, 10) == [7, 8, 9, 9, 9]
    assert centred_window(4, 5, 10)[5 // 2] == 4


@pytest.mark.parametrize('backend', ['decord', 'frames'])
def test_a2d_samples_quirks_and_pipeline(tmp_path, backend):
    truth = make_a2d_fixture(str(tmp_path))
    ds = DATASETS.build(dict(type='RVOSA2DSentencesDataset',
                             data_root=str(tmp_path), split='train',
                             pipeline=_pipeline(num_frames=4)))
    keys = [(d['video_id'], d['annotated_frame_ind'] + 1, d['instance_id'])
            for d in infos(ds)]
    # missed video excluded, '1 (copy)' dropped, instance 2 absent in f8
    assert keys == [('T6bNPuKV-wY', 5, 1), ('vidTrain01', 3, 1),
                    ('vidTrain01', 3, 2), ('vidTrain01', 8, 1)]
    assert ds[1]['data_samples'].expression == 'the man running on the left'
    ds.pipeline.transforms[1].backend = backend
    for idx, (vid, frame, inst) in enumerate(keys):
        out = ds[idx]
        sample = out['data_samples']
        assert sample.frame_inds == centred_window(frame - 1, 4, len(
            ds.get_data_info(idx)['frame_names']))
        masks = stack_frame_masks(sample, 'gt_mask').numpy()
        valid = sample.gt_frame_valid
        assert valid == [i == frame - 1 for i in sample.frame_inds]
        np.testing.assert_array_equal(masks[2], truth[(vid, frame, inst)])
        assert masks[[0, 1, 3]].sum() == 0
        assert out['inputs'].shape[1:] == (3, 24, 32)
        assert sample.coco_image_id == f'v_{vid}_f_{frame}_i_{inst}'


def test_a2d_duplicate_instance_counted_once(tmp_path):
    make_a2d_fixture(str(tmp_path), write_frames=False)
    ds = DATASETS.build(dict(type='RVOSA2DSentencesDataset',
                             data_root=str(tmp_path), split='test',
                             pipeline=[]))
    assert [d['exp_id'] for d in ds] == ['00025_1', '00025_2']


def test_a2d_missing_video_and_truncated_h5(tmp_path):
    make_a2d_fixture(str(tmp_path), write_frames=False)
    import os
    os.remove(tmp_path / 'Release/clips320H/vidTrain01.mp4')
    cfg = dict(type='RVOSA2DSentencesDataset', data_root=str(tmp_path),
               split='train', pipeline=[])
    with pytest.raises(FileNotFoundError, match='vidTrain01.mp4'):
        DATASETS.build(cfg)
    with pytest.warns(UserWarning, match='skipped 1 invalid'):
        ds = DATASETS.build(dict(cfg, skip_invalid=True))
    assert {d['video_id'] for d in ds} == {'T6bNPuKV-wY'}
    h5 = tmp_path / ('text_annotations/a2d_annotation_with_instances/'
                     'T6bNPuKV-wY/00005.h5')
    h5.write_bytes(h5.read_bytes()[:100])
    with pytest.raises(Exception, match='00005.h5'):
        DATASETS.build(dict(cfg, skip_invalid=False,
                            check_media=False))
    with pytest.warns(UserWarning, match='skipped 1 invalid'):
        ds = DATASETS.build(dict(cfg, skip_invalid=True, check_media=False))
    assert {d['video_id'] for d in ds} == {'vidTrain01'}


def test_a2d_h5_stored_transposed(tmp_path):
    from rvos_plugin.datasets.transforms.file_masks import read_a2d_h5
    from rvos_plugin.testing.official_formats import write_a2d_h5
    m = np.zeros((5, 7), np.uint8)
    m[1, 2:6] = 1
    write_a2d_h5(str(tmp_path / 'a.h5'), [m], [3])
    with h5py.File(tmp_path / 'a.h5') as f:
        assert f['reMask'].shape == (7, 5)  # one instance: 2-D, (W, H)
    np.testing.assert_array_equal(read_a2d_h5(str(tmp_path / 'a.h5'), 3), m)
    with pytest.raises(RVOSDataError, match='a.h5'):
        read_a2d_h5(str(tmp_path / 'a.h5'), 4)


def test_jhmdb_sample_list_reproducible_and_reused(tmp_path):
    truth = make_jhmdb_fixture(str(tmp_path))
    cfg = dict(type='RVOSJHMDBSentencesDataset', data_root=str(tmp_path),
               seed=3, pipeline=_pipeline(num_frames=3))
    ds = DATASETS.build(cfg)
    list_file = tmp_path / 'jhmdb_sentences_samples_metadata.json'
    saved = json.loads(list_file.read_text())
    assert len(saved) == 6 and all(len(e) == 5 for e in saved)
    assert saved[0][3] == 6 and saved[0][2].endswith('puppet_mask.mat')
    list_file.unlink()
    DATASETS.build(cfg)
    assert json.loads(list_file.read_text()) == saved  # same seed, same list
    list_file.write_text(json.dumps(saved[:1]))
    assert len(DATASETS.build(cfg)) == 1  # reused when present
    list_file.write_text(json.dumps(saved))
    for idx in range(len(ds)):
        info = ds.get_data_info(idx)
        sample = ds[idx]['data_samples']
        masks = stack_frame_masks(sample, 'gt_mask').numpy()
        np.testing.assert_array_equal(
            masks[1], truth[info['video_id']][info['annotated_frame_ind']])


def test_ref_ytvos_palette_masks_and_splits(tmp_path):
    truth = make_ref_ytvos_fixture(str(tmp_path))
    ds = DATASETS.build(dict(type='RVOSRefYouTubeVOSDataset',
                             data_root=str(tmp_path), split='train',
                             pipeline=_pipeline(test=True)))
    assert [d['obj_ids'] for d in infos(ds)] == [[1], [2]]
    assert ds.get_data_info(0)['frame_names'] == ['00000', '00005', '00010',
                                                 '00015']
    for idx, obj in enumerate((1, 2)):
        masks = stack_frame_masks(ds[idx]['data_samples'], 'gt_mask').numpy()
        np.testing.assert_array_equal(masks, truth['vid_a'] == obj)
    assert stack_frame_masks(ds[1]['data_samples'],
                             'gt_mask').numpy()[-1].sum() == 0
    test_meta = 'meta_expressions/test/meta_expressions.json'
    valid = DATASETS.build(dict(type='RVOSRefYouTubeVOSDataset',
                                data_root=str(tmp_path), split='valid',
                                test_ann_file=test_meta, pipeline=[]))
    assert {d['video_id'] for d in valid} == {'vid_b'}
    assert valid[0]['mask_files'] is None and valid[0]['obj_ids'] == []


def test_ref_ytvos_unexpected_palette_id(tmp_path):
    from rvos_plugin.testing.official_formats import write_palette_png
    make_ref_ytvos_fixture(str(tmp_path))
    bad = np.zeros((24, 32), np.uint8)
    bad[0, 0] = 7
    write_palette_png(str(tmp_path / 'train/Annotations/vid_a/00005.png'),
                      bad)
    cfg = dict(type='RVOSRefYouTubeVOSDataset', data_root=str(tmp_path),
               split='train', pipeline=_pipeline(test=True))
    ds = DATASETS.build(cfg)
    with pytest.raises(RVOSDataError, match=r'00005.png.*\[7\]'):
        ds[0]
    cfg['pipeline'][2]['skip_invalid'] = True
    ds = DATASETS.build(dict(cfg, test_mode=False))
    with pytest.warns(UserWarning, match='skipped 1 sample'):
        assert ds.pipeline(ds.get_data_info(0)) is None


def test_real_ref_ytvos_valid_meta(tmp_path, shared_data):
    meta = osp.join(shared_data, 'ref-ytvos_valid_meta',
                    'meta_expressions.json')
    root = tmp_path / 'ytvos'
    (root / 'meta_expressions/valid').mkdir(parents=True)
    (root / 'meta_expressions/valid/meta_expressions.json').write_text(
        open(meta).read())
    make_ytvos_test_list(meta, str(root / 'meta_expressions/test/'
                                   'meta_expressions.json'), 305)
    cfg = dict(type='RVOSRefYouTubeVOSDataset', data_root=str(root),
               split='valid', check_media=False, pipeline=[])
    full = DATASETS.build(cfg)
    assert len({d['video_id'] for d in full}) == 507
    assert len(full) == 2096
    valid = DATASETS.build(dict(
        cfg, test_ann_file='meta_expressions/test/meta_expressions.json'))
    assert len({d['video_id'] for d in valid}) == 202


def test_ref_davis17_converter_and_annotators(tmp_path):
    sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
    from ref_davis17_to_ytvos import convert
    truth = make_davis17_raw_fixture(str(tmp_path))
    counts = convert(str(tmp_path / 'DAVIS'),
                     str(tmp_path / 'davis_text_annotations'),
                     str(tmp_path / 'out'))
    assert counts == {'train': 1, 'valid': 2}
    cfg = dict(type='RVOSRefDAVIS17Dataset', data_root=str(tmp_path / 'out'),
               split='valid', pipeline=_pipeline(void=255, test=True))
    ds = DATASETS.build(cfg)
    assert len(ds) == 2 * 2 * 4  # 2 videos x 2 objects x 4 annotator sets
    info = {(d['video_id'], d['exp_id']): d for d in infos(ds)}
    assert info[('classic-car', '6')]['obj_ids'] == [2]
    assert info[('classic-car', '6')]['annotator'] == 2
    assert 'annot2 first caf\u00e9' in info[('classic-car', '6')][
        'expression']  # latin-1 decoded
    one = DATASETS.build(dict(cfg, annotator=3))
    assert len(one) == 4 and all(d['exp_id'] in ('3', '7') for d in infos(one))
    sample = one[0]['data_samples']
    obj = one.get_data_info(0)['obj_ids'][0]
    vid = one.get_data_info(0)['video_id']
    np.testing.assert_array_equal(
        stack_frame_masks(sample, 'gt_mask').numpy(), truth[vid] == obj)
    np.testing.assert_array_equal(
        stack_frame_masks(sample, 'gt_void_mask').numpy(), truth[vid] == 255)


def test_centred_window_with_interval():
    # WSRVOS Sec. 4.2: 4 frames at 10-frame intervals around frame i = 30
    assert centred_window(30, 4, 100, interval=10) == [10, 20, 30, 40]
    assert centred_window(5, 4, 100, interval=10) == [0, 0, 5, 15]
    assert centred_window(95, 4, 100, interval=10) == [75, 85, 95, 99]
    for i in range(10):  # interval 1 is the MTTR window
        assert centred_window(i, 5, 10, 1) == [
            min(max(j, 0), 9) for j in range(i - 2, i + 3)]
    with pytest.raises(ValueError):
        centred_window(3, 4, 10, interval=0)


def test_frame_sample_interval_in_video_frames():
    from rvos_plugin.datasets.transforms.frame_sampling import listed_step
    from rvos_plugin.registry import TRANSFORMS
    names = [f'{5 * t:05d}' for t in range(40)]  # Ref-YTVOS: every 5th
    assert listed_step(names, 10) == 2  # released code: round(10 / 5)
    assert listed_step([f'{t:05d}' for t in range(9)], 10) == 10
    t = TRANSFORMS.build(dict(type='RVOSFrameSample', num_frames=4,
                              interval=10, interval_unit='frame_number'))
    for _ in range(20):
        inds = t(dict(frame_names=names))['frame_inds']
        assert [b - a for a, b in zip(inds, inds[1:])] == [2, 2, 2]
    with pytest.raises(ValueError, match='numeric'):
        t(dict(frame_names=['a', 'b'], video_id='v'))


def _jhmdb_rank(rank, world, root, init_file, results):
    import torch.distributed as dist
    from rvos_plugin.datasets import jhmdb_sentences_dataset as jm
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=world)
    writes = []
    original = jm.RVOSJHMDBSentencesDataset._write_sample_list

    def counting(path, samples):
        writes.append(rank)
        original(path, samples)

    jm.RVOSJHMDBSentencesDataset._write_sample_list = staticmethod(counting)
    ds = jm.RVOSJHMDBSentencesDataset(data_root=root, seed=3, pipeline=[])
    results.put((rank, writes, len(ds)))
    dist.destroy_process_group()


def test_jhmdb_sample_list_written_by_rank_zero_only(tmp_path):
    import torch.multiprocessing as mp
    make_jhmdb_fixture(str(tmp_path))
    ctx = mp.get_context('fork')  # no re-import: a second, not 20
    results = ctx.Queue()
    procs = [ctx.Process(target=_jhmdb_rank,
                         args=(r, 2, str(tmp_path), str(tmp_path / 'init'),
                               results)) for r in range(2)]
    for p in procs:
        p.start()
    out = sorted(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert out == [(0, [0], 6), (1, [], 6)]
    saved = json.loads(
        (tmp_path / 'jhmdb_sentences_samples_metadata.json').read_text())
    assert len(saved) == 6
