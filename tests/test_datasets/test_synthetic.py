"""Tests of the synthetic RVOS generator (rvos_plugin.datasets.synthetic)."""
import filecmp
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from rvos_plugin.datasets.synthetic import generate_synthetic_rvos
from rvos_plugin.datasets.synthetic.attributes import (COLOURS, GENERIC_NOUNS,
                                                       NUMBER_WORDS, SHAPES,
                                                       SIZES, TEXTURE_FACTORS)
from rvos_plugin.datasets.synthetic.expressions import KIND_TO_CAPTION_TYPE
from rvos_plugin.datasets.synthetic.trajectories import (fold_into_range,
                                                         motion_label,
                                                         motion_matches,
                                                         motion_phrase,
                                                         script_interaction)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# Non-square on purpose: catches (H, W) transpositions.
TINY = dict(seed=0, num_train=10, num_val=2, size=(64, 80), min_frames=6,
            max_frames=8)
SPLIT_JSONS = ('meta_expressions.json', 'mask_dict.json', 'objects.json')


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic') / 'rvos')
    summary = generate_synthetic_rvos(root, **TINY)
    return root, summary


def _load(root, split, name):
    with open(osp.join(root, split, name), encoding='utf-8') as f:
        return json.load(f)


def _decode(rle):
    return mask_utils.decode(rle).astype(bool)


def _read_rgb(root, split, vid, frame):
    path = osp.join(root, split, 'JPEGImages', vid, f'{frame}.jpg')
    return cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)


def _centroid(mask):
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()])


# ----------------------------------------------------------------- unit tests
def test_fold_into_range_hand_case():
    # Walls at 0 and 10: 12 -> 8, -3 -> 3, 25 -> 5 (period 20).
    out = fold_into_range(np.array([5.0, 12.0, -3.0, 25.0]), 0.0, 10.0)
    np.testing.assert_allclose(out, [5.0, 8.0, 3.0, 5.0])


def test_motion_label_and_phrase():
    still_then_right = np.array([[5, 5]] * 4 + [[7, 5], [9, 5], [11, 5]],
                                dtype=float)
    assert motion_label(still_then_right) == 'still_then_right'
    assert motion_phrase('still_then_right') == \
        'staying still and then moving right'
    bounce = np.array([[10, 4], [10, 6], [10, 8], [10, 6], [10, 4]], float)
    assert motion_label(bounce) == 'down_then_up'
    assert motion_label(np.array([[3, 3], [3, 1], [3, -1]], float)) == 'up'
    assert motion_phrase('right_then_still') == \
        'moving right and then stopping'
    assert motion_phrase('still') == 'staying still'


def test_motion_label_drops_single_step_blips():
    # A one-step stop in the middle of a leftward motion is not a segment.
    pos = np.array([[20, 5], [18, 5], [16, 5], [16, 5], [14, 5], [12, 5]],
                   float)
    assert motion_label(pos) == 'left'


def test_motion_matches_is_conservative():
    assert motion_matches('right', 'still_then_right')
    assert not motion_matches('left', 'still_then_right')
    assert motion_matches('still_then_right', 'still_then_right')
    assert not motion_matches('still_then_right', 'right')


def test_script_pushes_contact_then_target_moves():
    s = script_interaction('pushes', 8, 3.0, 2.0, 1.5, contact=3, gap=0.0)
    np.testing.assert_allclose(s['ub'][:4], s['ub'][0])  # still before
    assert s['ub'][3] - s['ua'][3] == pytest.approx(5.0)  # touching
    np.testing.assert_allclose(np.diff(s['ub'][3:]), 1.5)  # then pushed
    with pytest.raises(ValueError, match='Unknown interaction verb'):
        script_interaction('kisses', 8, 3.0, 2.0, 1.5, 3, 0.0)


# ------------------------------------------------------------ dataset tests
def test_determinism_and_seed_dependence(tiny, tmp_path):
    root, _ = tiny
    again = str(tmp_path / 'again')
    generate_synthetic_rvos(again, write_mp4=False, **TINY)
    for split in ('train', 'valid'):
        for name in SPLIT_JSONS:
            assert filecmp.cmp(osp.join(root, split, name),
                               osp.join(again, split, name), shallow=False)
    vid_dir = osp.join('train', 'JPEGImages', 'train_00003')
    for name in sorted(os.listdir(osp.join(root, vid_dir))):
        assert filecmp.cmp(osp.join(root, vid_dir, name),
                           osp.join(again, vid_dir, name), shallow=False)
    other = str(tmp_path / 'other')
    generate_synthetic_rvos(other, write_mp4=False,
                            **dict(TINY, seed=1, num_train=2, num_val=0))
    assert (_load(other, 'train', 'meta_expressions.json')['videos']
            != {k: v for k, v in _load(
                root, 'train', 'meta_expressions.json')['videos'].items()
                if k in ('train_00000', 'train_00001')})
    assert not np.array_equal(
        _read_rgb(root, 'train', 'train_00000', '00000'),
        _read_rgb(other, 'train', 'train_00000', '00000'))


def test_video_depends_only_on_its_index(tiny, tmp_path):
    root, _ = tiny
    small = str(tmp_path / 'small')
    generate_synthetic_rvos(small, write_mp4=False,
                            **dict(TINY, num_train=3, num_val=0))
    big = _load(root, 'train', 'meta_expressions.json')['videos']
    sub = _load(small, 'train', 'meta_expressions.json')['videos']
    for vid in sub:
        assert [e['exp'] for e in sub[vid]['expressions'].values()] == \
            [e['exp'] for e in big[vid]['expressions'].values()]


def _generic_referents(root, split):
    """(expression, is generic) of every unidirectional expression."""
    out = []
    for video in _load(root, split, 'meta_expressions.json')['videos'].values():
        for expr in video['expressions'].values():
            words = expr['exp'].split()
            if expr.get('caption_type') == 'unidirectional':
                out.append((expr['exp'], words[1] in
                            [n[0] for n in GENERIC_NOUNS]))
    return out


def test_train_generic_referent_prob_changes_only_train_referents(
        tiny, tmp_path):
    root, _ = tiny
    every = str(tmp_path / 'every')
    record = generate_synthetic_rvos(
        every, write_mp4=False, train_generic_referent_prob=1.0, **TINY)
    assert record['params']['train_generic_referent_prob'] == 1.0
    # The valid split is the default one, byte for byte.
    for name in SPLIT_JSONS:
        assert filecmp.cmp(osp.join(root, 'valid', name),
                           osp.join(every, 'valid', name), shallow=False)
    base = _generic_referents(root, 'train')
    forced = _generic_referents(every, 'train')
    assert len(base) == len(forced) > 0
    assert all(generic for _, generic in forced)
    assert sum(g for _, g in base) < len(base)
    # Only the referent's words change: the verb and counterpart stay.
    for (text_a, _), (text_b, _) in zip(base, forced):
        assert text_a.split()[-3:] == text_b.split()[-3:]
    # The default is not recorded, so older datasets are reused.
    assert 'train_generic_referent_prob' not in _load(
        root, '.', 'generation_params.json')['params']
    with pytest.raises(ValueError, match='train_generic_referent_prob'):
        generate_synthetic_rvos(str(tmp_path / 'bad'),
                                train_generic_referent_prob=1.5)


def test_format_validity(tiny):
    root, summary = tiny
    h, w = TINY['size']
    kinds, caption_types = set(), set()
    for split in ('train', 'valid'):
        meta = _load(root, split, 'meta_expressions.json')
        masks = _load(root, split, 'mask_dict.json')
        objects = _load(root, split, 'objects.json')['videos']
        assert set(meta) == {'videos'}
        assert len(meta['videos']) == summary['splits'][split]['videos']
        seen_annos = []
        for vid, video in meta['videos'].items():
            assert isinstance(video['vid_id'], int)
            frames = video['frames']
            files = sorted(os.listdir(osp.join(root, split, 'JPEGImages',
                                               vid)))
            assert files == [f'{f}.jpg' for f in frames]
            assert frames == [f'{i:05d}' for i in range(len(frames))]
            assert TINY['min_frames'] <= len(frames) <= TINY['max_frames']
            assert _read_rgb(root, split, vid, frames[0]).shape == (h, w, 3)
            video_annos = [o['anno_id'] for o in objects[vid]['objects']]
            seen_annos += video_annos
            assert video['expressions'], f'{vid} has no expressions'
            for exp_id, exp in video['expressions'].items():
                assert exp['exp'].strip() == exp['exp'] and exp['exp']
                assert set(exp) == {'exp', 'obj_id', 'anno_id',
                                    'caption_type', 'subject/object',
                                    'expression_kind'}
                assert KIND_TO_CAPTION_TYPE[exp['expression_kind']] == \
                    exp['caption_type']
                roles = exp['subject/object']
                assert roles['anno_id']['subject'] == exp['anno_id']
                assert roles['obj_id']['subject'] == exp['obj_id']
                if exp['caption_type'] == 'unidirectional':
                    assert len(roles['anno_id']['object']) == 1
                else:
                    assert roles['anno_id']['object'] == []
                for anno in exp['anno_id'] + roles['anno_id']['object']:
                    assert anno in video_annos
                    rles = masks[str(anno)]
                    assert len(rles) == len(frames)
                    assert all(r['size'] == [h, w] for r in rles)
                    assert isinstance(rles[0]['counts'], str)
                kinds.add(exp['expression_kind'])
                caption_types.add(exp['caption_type'])
        assert len(seen_annos) == len(set(seen_annos)) == len(masks)
    assert kinds == set(KIND_TO_CAPTION_TYPE)
    assert caption_types == {'single', 'multi', 'bidirectional',
                             'unidirectional'}


def test_masks_are_the_visible_pixels_of_the_drawn_object(tiny):
    root, _ = tiny
    palette = {n: np.array(c) * np.mean(TEXTURE_FACTORS)
               for n, c in COLOURS.items()}
    masks = _load(root, 'train', 'mask_dict.json')
    objects = _load(root, 'train', 'objects.json')['videos']
    checked = 0
    for vid in ('train_00000', 'train_00001', 'train_00002'):
        video = objects[vid]
        for t, frame_name in enumerate(video['frames']):
            frame = _read_rgb(root, 'train', vid, frame_name).astype(float)
            union = np.zeros(frame.shape[:2], dtype=int)
            for obj in video['objects']:
                mask = _decode(masks[str(obj['anno_id'])][t])
                union += mask
                inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3)))
                if inner.sum() < 5:
                    continue
                mean = frame[inner.astype(bool)].mean(axis=0)
                nearest = min(palette,
                              key=lambda n: np.linalg.norm(palette[n] - mean))
                assert nearest == obj['colour'], (vid, t, obj['obj_id'])
                checked += 1
            assert union.max() <= 1, 'visible masks must not overlap'
            # Pixels outside all masks are background (low saturation).
            outside = frame[union == 0]
            sat = outside.max(axis=1) - outside.min(axis=1)
            assert np.median(sat) < 40
    assert checked > 20


def _role_tracks(root, verb):
    masks = _load(root, 'train', 'mask_dict.json')
    for video in _load(root, 'train', 'objects.json')['videos'].values():
        for inter in video['interactions']:
            if inter['verb'] == verb:
                act = [_centroid(_decode(r))
                       for r in masks[str(inter['actor_anno_id'])]]
                tar = [_centroid(_decode(r))
                       for r in masks[str(inter['target_anno_id'])]]
                return inter, np.array(act), np.array(tar)
    raise AssertionError(f'no {verb!r} interaction in the tiny set')


def test_pushes_target_moves_only_after_contact(tiny):
    root, _ = tiny
    inter, actor, target = _role_tracks(root, 'pushes')
    c = inter['contact_frame']
    axis = 0 if inter['direction'] in ('left', 'right') else 1
    sign = 1 if inter['direction'] in ('right', 'down') else -1
    assert np.abs(target[:c + 1] - target[0]).max() < 0.5  # still before
    assert sign * (target[-1, axis] - target[c, axis]) > 3  # pushed away
    assert sign * (actor[c, axis] - actor[0, axis]) > 3  # actor came in
    gap = np.abs(target[:, axis] - actor[:, axis])
    assert gap[c] < gap[0] - 3  # actor moved into the target


def test_hits_actor_stops_target_flees(tiny):
    root, _ = tiny
    inter, actor, target = _role_tracks(root, 'hits')
    c = inter['contact_frame']
    assert np.abs(actor[c:] - actor[c]).max() < 0.5
    assert np.abs(target[:c + 1] - target[0]).max() < 0.5
    assert np.linalg.norm(target[-1] - target[c]) > 3


def test_chases_gap_shrinks(tiny):
    root, _ = tiny
    _, actor, target = _role_tracks(root, 'chases')
    gap = np.linalg.norm(target - actor, axis=1)
    assert gap[-1] < gap[0] - 2
    assert np.linalg.norm(target[-1] - target[0]) > 2  # target flees


def _parse_single(text, video):
    """Objects an appearance/motion description refers to (oracle)."""
    words = text.split()
    assert words[0] == 'the'
    words = words[1:]
    count = 1
    if words[0] in NUMBER_WORDS.values():
        count = [k for k, v in NUMBER_WORDS.items() if v == words[0]][0]
        words = words[1:]
    size = words.pop(0) if words[0] in SIZES else None
    colour = words.pop(0) if words[0] in COLOURS else None
    noun = words.pop(0)
    plural_to_shape = {p: s for s, p in SHAPES.items()}
    shape = noun if noun in SHAPES else plural_to_shape.get(noun)
    assert shape or noun in sum(GENERIC_NOUNS, ()), text
    phrase = ' '.join(words)
    labels = {motion_phrase(o['motion']): o['motion']
              for o in video['objects']}
    labels.update({motion_phrase(seg): seg for o in video['objects']
                   for seg in o['motion'].split('_then_')})
    motion = labels[phrase] if phrase else None
    hits = [
        o['obj_id'] for o in video['objects']
        if (size is None or o['size'] == size) and (
            colour is None or o['colour'] == colour) and (
                shape is None or o['shape'] == shape) and (
                    motion is None or motion_matches(motion, o['motion']))
    ]
    return hits, count, motion


def test_expressions_are_unambiguous(tiny):
    root, _ = tiny
    meta = _load(root, 'train', 'meta_expressions.json')['videos']
    objects = _load(root, 'train', 'objects.json')['videos']
    checked = 0
    for vid, video in meta.items():
        for exp in video['expressions'].values():
            kind = exp['expression_kind']
            if kind not in ('appearance', 'motion', 'appearance_motion',
                            'multi') or ' and the ' in exp['exp']:
                continue
            hits, count, motion = _parse_single(exp['exp'], objects[vid])
            assert sorted(hits) == sorted(exp['obj_id']), exp['exp']
            assert count == len(exp['obj_id'])
            if motion is not None:  # the phrase states the whole motion
                assert all(objects[vid]['objects'][i]['motion'] == motion
                           for i in hits), exp['exp']
            checked += 1
    assert checked > 30


def test_interaction_expressions_roles(tiny):
    root, _ = tiny
    meta = _load(root, 'train', 'meta_expressions.json')['videos']
    objects = _load(root, 'train', 'objects.json')['videos']
    for vid, video in meta.items():
        inters = {i['verb']: i for i in objects[vid]['interactions']}
        for exp in video['expressions'].values():
            roles = exp['subject/object']['obj_id']
            if exp['expression_kind'] == 'unidirectional_active':
                inter = [i for i in inters.values()
                         if i['caption_type'] == 'unidirectional'][0]
                assert exp['obj_id'] == [inter['actor']]
                assert roles['object'] == [inter['target']]
                assert ' being ' not in exp['exp']
            elif exp['expression_kind'] == 'unidirectional_passive':
                inter = [i for i in inters.values()
                         if i['caption_type'] == 'unidirectional'][0]
                assert exp['obj_id'] == [inter['target']]
                assert roles['object'] == [inter['actor']]
                assert ' being ' in exp['exp'] and ' by ' in exp['exp']
            elif exp['expression_kind'] == 'bidirectional':
                inter = [i for i in inters.values()
                         if i['caption_type'] == 'bidirectional'][0]
                assert sorted(exp['obj_id']) == sorted(
                    [inter['actor'], inter['target']])


def test_left_right_words_appear(tiny):
    root, _ = tiny
    meta = _load(root, 'train', 'meta_expressions.json')['videos']
    texts = [e['exp'] for v in meta.values()
             for e in v['expressions'].values()]
    assert any(' left' in t for t in texts)
    assert any(' right' in t for t in texts)


def test_mp4_frame_count_with_decord(tiny):
    decord = pytest.importorskip('decord')
    root, _ = tiny
    meta = _load(root, 'valid', 'meta_expressions.json')['videos']
    for vid, video in meta.items():
        reader = decord.VideoReader(osp.join(root, 'valid', 'videos',
                                             f'{vid}.mp4'))
        assert len(reader) == len(video['frames'])
        assert reader[0].shape == (*TINY['size'], 3)


def test_idempotent_and_force(tiny, tmp_path):
    root, summary = tiny
    again = generate_synthetic_rvos(root, **TINY)
    assert again['skipped'] and again['splits'] == summary['splits']
    with pytest.raises(FileExistsError, match='--force'):
        generate_synthetic_rvos(root, **dict(TINY, seed=5))
    fresh = str(tmp_path / 'f')
    small = dict(TINY, num_train=1, num_val=0)
    generate_synthetic_rvos(fresh, write_mp4=False, **small)
    first = _load(fresh, 'train', 'meta_expressions.json')
    redone = generate_synthetic_rvos(fresh, write_mp4=False, force=True,
                                     **dict(small, seed=3))
    assert not redone['skipped']
    assert _load(fresh, 'train', 'meta_expressions.json') != first
    # An incomplete run (crash) is regenerated without --force.
    params = osp.join(fresh, 'generation_params.json')
    with open(params, encoding='utf-8') as f:
        record = json.load(f)
    record['complete'] = False
    with open(params, 'w', encoding='utf-8') as f:
        json.dump(record, f)
    assert not generate_synthetic_rvos(fresh, write_mp4=False,
                                       **dict(small, seed=3))['skipped']
    # A dataset from an older generator version is regenerated too.
    with open(params, encoding='utf-8') as f:
        record = json.load(f)
    record['params']['generator_version'] = 0
    with open(params, 'w', encoding='utf-8') as f:
        json.dump(record, f)
    assert not generate_synthetic_rvos(fresh, write_mp4=False,
                                       **dict(small, seed=3))['skipped']
    assert generate_synthetic_rvos(fresh, write_mp4=False,
                                   **dict(small, seed=3))['skipped']


def test_refuses_foreign_folders_and_bad_parameters(tmp_path):
    foreign = tmp_path / 'mevis'
    (foreign / 'train').mkdir(parents=True)
    with pytest.raises(FileExistsError, match='not written by this'):
        generate_synthetic_rvos(str(foreign), num_train=1, num_val=0)
    with pytest.raises(ValueError, match='min_frames'):
        generate_synthetic_rvos(str(tmp_path / 'a'), min_frames=3)
    with pytest.raises(ValueError, match='at least 32'):
        generate_synthetic_rvos(str(tmp_path / 'b'), size=16)
    with pytest.raises(ValueError, match='--no-mp4'):
        generate_synthetic_rvos(str(tmp_path / 'c'), size=(64, 65),
                                num_train=1, num_val=0, min_frames=6,
                                max_frames=6)


def test_cli_and_dataset_class_read_it(tmp_path):
    spec = importlib.util.spec_from_file_location(
        'make_synthetic_rvos',
        osp.join(REPO, 'tools', 'dataset_converters',
                 'make_synthetic_rvos.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli.parse_size('64x80') == (64, 80)
    out = str(tmp_path / 'cli')
    summary = cli.main(['--out', out, '--num-train', '3', '--num-val', '1',
                        '--size', '64', '--min-frames', '6',
                        '--max-frames', '6', '--no-mp4',
                        '--train-generic-referent-prob', '0.5'])
    assert summary['splits']['train']['videos'] == 3
    assert summary['params']['train_generic_referent_prob'] == 0.5
    assert not osp.exists(osp.join(out, 'train', 'videos'))
    from rvos_plugin.datasets import RVOSMeViSDataset
    dataset = RVOSMeViSDataset(data_root=out, split='train')
    assert len(dataset) == summary['splits']['train']['expressions']
    info = dataset.get_data_info(0)
    assert info['expression_kind'] in KIND_TO_CAPTION_TYPE
    assert all(len(r) == 6 for r in info['mask_rles'].values())
