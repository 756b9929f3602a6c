"""WSRVOS contrastive expression augmentation (Sec. 3.2) and its tool."""
import json
import os.path as osp

import numpy as np
import pytest
from rvos_plugin.testing import load_tool_module as tool_module

from rvos_plugin.apis import expression_augmentation as crea
from rvos_plugin.apis.llm.synthetic_oracle import (OracleAttributeScorer,
                                                   SyntheticOracleBackend,
                                                   load_synthetic_objects)


def test_eq1_confidence_hand_computed():
    # cos(E(V),E(Z_o)) = 0.5; generated 0.45, 0.40, 0.30, 0.60
    c = crea.expression_confidence([0.45, 0.40, 0.30, 0.60], 0.5)
    np.testing.assert_allclose(c, [0.9, 0.8, 0.6, 1.2])
    kept, conf = crea.select_positive_descriptions(['a', 'b', 'c', 'd'], c)
    assert kept == ['a', 'd']  # 0.8 itself is not > 0.8
    np.testing.assert_allclose(conf, [0.9, 1.2])
    with pytest.raises(ValueError, match='Eq. \\(1\\)'):
        crea.expression_confidence([0.3], 0.0)


def test_compose_and_parse():
    assert crea.compose_positive('the red car.', 'It turns left.') == \
        'the red car. It turns left.'
    answer = ('Here are the sentences:\n1. **Visual appearance**: A red car '
              'with black wheels.\n2) It turns left at the corner.\n- It '
              'turns left at the corner.\n')
    assert crea.parse_sentence_list(answer) == [
        'A red car with black wheels.', 'It turns left at the corner.']
    assert crea.parse_sentence_list('```json\n["a b c", "d e f"]\n```') == \
        ['a b c', 'd e f']


def test_oracle_scorer_hand_computed(tiny_synthetic):
    objects = osp.join(tiny_synthetic, 'objects.json')
    video = next(iter(load_synthetic_objects(objects).values()))
    o = next(iter(video.objects.values()))
    scorer = OracleAttributeScorer(objects)
    wrong = next(c for c in scorer.vocab['colour'] if c != o.colour)
    s = scorer.similarities(video.video_id, [o.obj_id], [
        f'a {o.colour} {o.shape}', f'a {wrong} {o.shape}', 'the thing'])
    # (1+2)/(1+2) = 1; (1+1)/(1+1+4*1) = 1/3; no attribute word: 0.5
    np.testing.assert_allclose(s, [1.0, 1 / 3, 0.5])


def test_oracle_negatives_change_exactly_one_attribute(tiny_synthetic):
    objects = osp.join(tiny_synthetic, 'objects.json')
    oracle = SyntheticOracleBackend(objects, seed=0)
    scorer = OracleAttributeScorer(objects)
    vid, video = next(iter(oracle.videos.items()))
    o = next(iter(video.objects.values()))
    meta = dict(task='wsrvos_negative', video_id=vid, exp_id='0',
                obj_ids=[o.obj_id], num=48)
    msgs = [{'role': 'user', 'content': 'x'}]
    negs = crea.parse_sentence_list(oracle.generate(msgs, metadata=meta))
    assert 10 <= len(negs) <= 48 and len(set(negs)) == len(negs)
    assert negs == crea.parse_sentence_list(
        oracle.generate(msgs, metadata=meta))  # deterministic
    attr_negs = [n for n in negs if 'the ' not in n]  # non-relation ones
    for n in attr_negs:
        words = set(n.lower().rstrip('.').split())
        true = {o.colour, o.shape, o.size}
        wrong = [w for k in ('colour', 'shape', 'size')
                 for w in scorer.vocab[k] if w in words and w not in true]
        assert len(wrong) <= 1, n
    # most negatives contradict the truth word-wise (role swaps and values
    # borrowed from the interaction partner are invisible to a bag of words)
    sims = scorer.similarities(vid, [o.obj_id], negs)
    assert (sims < 1).mean() > 0.5


def test_tool_end_to_end_resume_and_training_format(tiny_synthetic,
                                                    tmp_path):
    gen = tool_module('expression_generation', 'generate_expressions')
    out = str(tmp_path / 'crea.json')
    objects = osp.join(tiny_synthetic, 'objects.json')
    asked = []

    class Recording(SyntheticOracleBackend):
        def generate(self, messages, images=None, metadata=None, **kw):
            asked.append(metadata['exp_id'] + '@' + metadata['video_id'])
            return super().generate(messages, images, metadata, **kw)

    oracle = Recording(objects, seed=0)
    args = [tiny_synthetic, '--out', out, '--key-prefix', 'synthetic',
            '--no-progress']
    stats = gen.main(args + ['--limit', '3'], backend=oracle)
    first = set(asked)
    assert stats['generated'] == 3 and len(first) == 3
    calls_first = oracle.num_calls
    asked.clear()
    stats = gen.main(args, backend=oracle)
    meta = json.load(open(osp.join(tiny_synthetic, 'meta_expressions.json')))
    n = sum(len(v['expressions']) for v in meta['videos'].values())
    assert stats['skipped'] == 3 and stats['generated'] == n - 3
    assert not first & set(asked)  # finished items were not asked again
    assert len(set(asked)) == n - 3
    assert oracle.num_calls - calls_first == len(asked) >= 2 * (n - 3)
    data = json.load(open(out))
    assert len(data) == n
    crea.validate_augmented_expressions(data)
    for key, rec in data.items():
        prefix, vid, exp_id = key.split(':')
        expr = meta['videos'][vid]['expressions'][exp_id]['exp']
        assert prefix == 'synthetic'
        assert len(rec['positive_texts']) == 6
        assert all(p.startswith(expr.rstrip('.')) for p in
                   rec['positive_texts'])  # Z_o retained
        assert 10 <= len(rec['negative_texts']) <= 48


def test_tool_no_surviving_positive_falls_back(tiny_synthetic, tmp_path):
    """All descriptions fail Eq. (1): the original expression duplicated
    (Tab. 4 "w/o CREA positives"), counted, and readable by training."""
    gen = tool_module('expression_generation', 'generate_expressions')

    class Unhelpful(SyntheticOracleBackend):
        def generate(self, messages, images=None, metadata=None, **kw):
            if metadata['exp_id'] == '1' and \
                    metadata['task'] == 'wsrvos_positive':
                return '1. a completely unrelated purple hexagon thing'
            return super().generate(messages, images, metadata, **kw)

    out = str(tmp_path / 'crea.json')
    stats = gen.main([tiny_synthetic, '--out', out, '--limit', '4',
                      '--no-progress', '--key-prefix', 'synthetic'],
                     backend=Unhelpful(osp.join(tiny_synthetic,
                                                'objects.json')))
    assert stats['failed'] == 0 and stats['written'] == 4
    assert stats['fallback_positives'] == 1 and stats['exit_code'] == 0
    data = json.load(open(out))
    crea.validate_augmented_expressions(data)
    (key, rec), = [(k, v) for k, v in data.items() if k.endswith(':1')]
    _, vid, _ = key.split(':')
    meta = json.load(open(osp.join(tiny_synthetic, 'meta_expressions.json')))
    expr = meta['videos'][vid]['expressions']['1']['exp']
    assert rec['positive_texts'] == [expr] * 6
    assert rec['positive_confidences'] == [1.0] * 6
    assert rec['negative_texts']  # negatives are still generated
    import projects.WSRVOS.wsrvos  # noqa: F401
    from rvos_plugin.registry import TRANSFORMS
    load = TRANSFORMS.build(dict(type='LoadWSRVOSExpressions', ann_file=out,
                                 prefix='synthetic'))
    assert load(dict(video_id=vid, exp_id='1'))['positive_texts'] == \
        [expr] * 6
