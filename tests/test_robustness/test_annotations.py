"""Damaged meta_expressions.json / mask_dict.json of a MeViS-format split."""
import os.path as osp

import pytest
from _robust_utils import read_json, write_json

from rvos_plugin.datasets.interrvos_dataset import RVOSInterRVOSDataset
from rvos_plugin.datasets.mevis_dataset import (RVOSAnnotationError,
                                                RVOSMeViSDataset)


def _load(root, cls=RVOSMeViSDataset):
    return cls(data_root=root, split='train', pipeline=[], lazy_init=False)


def _video(meta):
    return meta['videos']['video0']


def _exp(meta):
    return _video(meta)['expressions']['0']


# (name, mutation of the meta dict, regex the message must contain besides
# the file name)
META_CASES = [
    ('frames_int', lambda m: _video(m).update(frames=6), 'frames'),
    ('frames_string', lambda m: _video(m).update(frames='000000'),
     'string'),
    ('frames_empty', lambda m: _video(m).update(frames=[]), 'empty'),
    ('frames_ints', lambda m: _video(m).update(frames=[0, 1, 2, 3]),
     'non-string'),
    ('frames_null', lambda m: _video(m).update(frames=None), 'frames'),
    ('frames_duplicate', lambda m: _video(m).update(
        frames=['00000', '00000', '00001', '00002']), 'more than once'),
    ('frames_dict', lambda m: _video(m).update(frames={'a': 1}), 'frames'),
    ('exp_empty', lambda m: _exp(m).update(exp=''), 'empty expression'),
    ('exp_whitespace', lambda m: _exp(m).update(exp=' \t\n '),
     'empty expression'),
    ('exp_zero_width', lambda m: _exp(m).update(exp='\u200b\u200b\u200b'),
     'empty expression'),
    ('exp_bom_and_joiners', lambda m: _exp(m).update(
        exp='\ufeff\u200d\u200c\u00ad'), 'empty expression'),
    ('exp_control_chars', lambda m: _exp(m).update(exp='\x00\x07'),
     'empty expression'),
    ('exp_number', lambda m: _exp(m).update(exp=5), 'empty expression'),
    ('exp_missing', lambda m: _exp(m).pop('exp'), 'no "exp"'),
    ('expressions_list', lambda m: _video(m).update(expressions=[]),
     'must be an object'),
    ('anno_id_text', lambda m: _exp(m).update(anno_id=['one']),
     'non-integer'),
    ('anno_id_unknown', lambda m: _exp(m).update(anno_id=[999]),
     'anno id 999'),
    ('caption_type_unknown', lambda m: _exp(m).update(caption_type='x'),
     'caption_type'),
    ('videos_list', lambda m: m.update(videos=[]), 'videos'),
    ('zero_expressions', lambda m: [v.update(expressions={})
                                    for v in m['videos'].values()],
     'no expression'),
    ('video_not_object', lambda m: m['videos'].update(video0=3),
     'needs "expressions"'),
]


@pytest.mark.parametrize('name,mutate,what', META_CASES,
                         ids=[c[0] for c in META_CASES])
def test_bad_meta_is_an_error_naming_file_and_item(split_copy, name, mutate,
                                                   what):
    root, split = split_copy
    path = osp.join(split, 'meta_expressions.json')
    meta = read_json(path)
    mutate(meta)
    write_json(path, meta)
    with pytest.raises((RVOSAnnotationError, ValueError)) as info:
        _load(root)
    msg = str(info.value)
    assert 'meta_expressions.json' in msg or 'mask_dict.json' in msg, msg
    assert what in msg, msg
    if name.startswith(('frames', 'exp', 'anno', 'caption')):
        assert 'video0' in msg, msg  # the item


RAW_CASES = {
    'meta_truncated_json': ('meta_expressions.json',
                            lambda d: d[:len(d) // 2]),
    'meta_empty_file': ('meta_expressions.json', lambda d: b''),
    'meta_top_level_list': ('meta_expressions.json', lambda d: b'[]'),
    'mask_truncated_json': ('mask_dict.json', lambda d: d[:len(d) // 3]),
    'mask_top_level_list': ('mask_dict.json', lambda d: b'[1, 2]'),
    'mask_key_not_int': ('mask_dict.json', lambda d: b'{"abc": []}'),
    'mask_value_not_list': ('mask_dict.json', lambda d: b'{"1": 5}'),
}


@pytest.mark.parametrize('case', sorted(RAW_CASES))
def test_bad_json_file_is_an_error_naming_it(split_copy, case):
    root, split = split_copy
    fname, damage = RAW_CASES[case]
    path = osp.join(split, fname)
    data = open(path, 'rb').read()
    open(path, 'wb').write(damage(data))
    with pytest.raises((RVOSAnnotationError, ValueError), match=fname):
        _load(root)


def test_mask_track_of_wrong_length_names_both_files(split_copy):
    root, split = split_copy
    path = osp.join(split, 'mask_dict.json')
    masks = read_json(path)
    masks['1'] = masks['1'][:2]
    write_json(path, masks)
    with pytest.raises(RVOSAnnotationError,
                       match=r'mask_dict.json.*anno id 1 has 2 masks'):
        _load(root)


def test_filters_leaving_nothing_are_an_error(split_copy):
    root, _ = split_copy
    with pytest.raises(RVOSAnnotationError, match='no expression left'):
        RVOSInterRVOSDataset(data_root=root, split='train', pipeline=[],
                             caption_types=['bidirectional'],
                             lazy_init=False)


def test_missing_split_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='meta_expressions.json'):
        _load(str(tmp_path))


def test_visible_text_with_zero_width_chars_is_kept_clean(split_copy):
    """Documented behaviour: invisible characters are dropped, the rest
    is the expression."""
    root, split = split_copy
    path = osp.join(split, 'meta_expressions.json')
    meta = read_json(path)
    _exp(meta)['exp'] = '\u200bthe red\u200b box '
    write_json(path, meta)
    ds = _load(root)
    texts = {ds.get_data_info(i)['expression'] for i in range(len(ds))}
    assert 'the red box' in texts
