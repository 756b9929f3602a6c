"""InterRVOS 4-stage annotation pipeline on a tiny synthetic set."""
import json
import os.path as osp

import numpy as np
import pytest
from rvos_plugin.testing import load_tool_module as tool_module

from rvos_plugin.apis.llm.synthetic_oracle import SyntheticOracleBackend


class Interrupt(Exception):
    """Stands for Ctrl-C / a killed job (not caught by the stage loop)."""


class CountingOracle(SyntheticOracleBackend):
    """Counts calls per task; optionally dies after ``die_after`` calls or
    answers malformed JSON the first time a task is asked."""

    def __init__(self, path, die_after=None, malformed_tasks=()):
        super().__init__(path)
        self.per_task = {}
        self.die_after = die_after
        self.malformed = set(malformed_tasks)
        self.images_seen = []

    def generate(self, messages, images=None, metadata=None, **kw):
        if self.die_after is not None and self.num_calls >= self.die_after:
            raise Interrupt()
        task = metadata['task']
        self.per_task[task] = self.per_task.get(task, 0) + 1
        if images:
            self.images_seen.append(images)
        if task in self.malformed:
            self.malformed.discard(task)
            self.num_calls += 1
            return '{"all": "a thing", "motion": '  # cut JSON
        return super().generate(messages, images, metadata, **kw)


def run(src, out, backend, *extra):
    pipe = tool_module('interrvos_annotation', 'run_pipeline')
    return pipe.main([src, out, '--no-progress', '--num-frames', '3',
                      *extra], backend=backend)


def test_end_to_end_loads_through_the_dataset(tiny_synthetic, tmp_path):
    from rvos_plugin.datasets.interrvos_dataset import RVOSInterRVOSDataset
    objects = osp.join(tiny_synthetic, 'objects.json')
    out = str(tmp_path / 'interrvos' / 'train')
    be = CountingOracle(objects)
    summary = run(tiny_synthetic, out, be)
    truth = json.load(open(objects))['videos']
    n_obj = sum(len(v['objects']) for v in truth.values())
    n_inter = sum(len(v['interactions']) for v in truth.values())
    stages = summary['stages']
    assert stages['gpt_single_object']['done'] == n_obj
    assert stages['llama_single_object']['done'] == n_obj
    assert summary['failures'] == 0
    assert summary['expressions']['single'] == 3 * n_obj
    n_uni = sum(i['caption_type'] == 'unidirectional'
                for v in truth.values() for i in v['interactions'])
    assert stages['llama_interaction']['done'] == n_inter + n_uni
    # the VLM saw outlined frames: 3 per request, RGB uint8
    assert all(len(imgs) <= 3 and imgs[0].dtype == np.uint8
               for imgs in be.images_seen)
    # the InterRVOS class: every expression must carry a caption_type
    ds = RVOSInterRVOSDataset(data_root=str(tmp_path / 'interrvos'),
                              split='train', pipeline=[], lazy_init=False)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(infos) == sum(summary['expressions'].values())
    uni = [d for d in infos if d['caption_type'] == 'unidirectional']
    assert len(uni) == 4 * n_uni and all(d['has_target'] for d in uni)
    for d in uni:  # actor and target are the truth's pair
        vid = truth[d['video_id']]
        pairs = {frozenset((i['actor_anno_id'], i['target_anno_id']))
                 for i in vid['interactions']}
        assert frozenset(d['anno_ids'] + d['target_anno_ids']) in pairs
    kinds = {d['expression_kind'] for d in infos}
    assert {'appearance', 'motion', 'appearance_motion'} <= kinds


def test_interrupted_run_resumes_without_redoing_items(tiny_synthetic,
                                                      tmp_path):
    objects = osp.join(tiny_synthetic, 'objects.json')
    full = CountingOracle(objects)
    run(tiny_synthetic, str(tmp_path / 'full'), full)
    out = str(tmp_path / 'resumed')
    k = 7
    first = CountingOracle(objects, die_after=k)
    with pytest.raises(Interrupt):
        run(tiny_synthetic, out, first)
    assert first.num_calls == k
    cached = open(osp.join(out, '_annotation',
                           'gpt_single_object.jsonl')).read().splitlines()
    assert len(cached) == k  # one durable line per finished item
    second = CountingOracle(objects)
    summary = run(tiny_synthetic, out, second)
    assert summary['stages']['gpt_single_object']['skipped'] == k
    assert second.num_calls == full.num_calls - k
    a = json.load(open(osp.join(tmp_path / 'full', 'meta_expressions.json')))
    b = json.load(open(osp.join(out, 'meta_expressions.json')))
    assert a == b


def test_malformed_answer_is_retried_and_validated(tiny_synthetic, tmp_path):
    objects = osp.join(tiny_synthetic, 'objects.json')
    be = CountingOracle(objects, malformed_tasks={'interrvos_stage2_single'})
    summary = run(tiny_synthetic, str(tmp_path / 'o'), be)
    n = summary['stages']['llama_single_object']['done']
    assert summary['failures'] == 0
    assert be.per_task['interrvos_stage2_single'] == n + 1  # one retry


def test_invalid_labels_fail_validation_and_are_logged(tiny_synthetic,
                                                      tmp_path):
    objects = osp.join(tiny_synthetic, 'objects.json')

    class Inventive(CountingOracle):
        def generate(self, messages, images=None, metadata=None, **kw):
            if metadata['task'] == 'interrvos_stage3':
                self.num_calls += 1
                return json.dumps({'interaction': 'YES', 'interactions': [{
                    'object_pair': ['[0]', '[9]'], 'type': 'unidirectional',
                    'descriptions': ['Object [0] is pushing object [9].']}]})
            return super().generate(messages, images, metadata, **kw)

    out = str(tmp_path / 'bad')
    summary = run(tiny_synthetic, out, Inventive(objects),
                  '--max-failures', '1000')
    assert summary['status'] == 'failures'  # written, exit status 1
    st = summary['stages']['gpt_interaction']
    assert st['failed'] == st['items'] > 0 and st['done'] == 0
    log = open(osp.join(out, '_annotation', 'failures.jsonl')).readlines()
    assert len(log) == st['failed']
    rec = json.loads(log[0])
    assert rec['stage'] == 'gpt_interaction' and '[9]' in rec['error']
    assert len(rec['answers']) == 3  # max_attempts answers kept


def test_outline_and_labels_are_drawn():
    common = tool_module('interrvos_annotation', 'stages.common')
    frame = np.full((40, 40, 3), 100, np.uint8)
    m = np.zeros((40, 40), np.uint8)
    m[10:30, 10:30] = 1
    out = common.draw_outlines(frame, [m, None], [(255, 0, 0), (0, 0, 255)],
                               labels=['[0]', '[1]'], thickness=1)
    assert tuple(out[20, 10]) == (255, 0, 0)  # contour on the boundary
    assert tuple(out[20, 20]) == (100, 100, 100)  # inside untouched
    assert (out[:10] != 100).any()  # label drawn above the object
    assert not (out == (0, 0, 255)).all(-1).any()  # absent object: nothing
    assert (frame == 100).all()  # input not modified


def test_stage1_parser():
    s1 = tool_module('interrvos_annotation', 'stages.stage1_object_captions')
    assert s1.parse_two_sentences('A small dog. It runs left. It stops.') \
        == {'appearance': 'A small dog.', 'motion': 'It runs left. It stops.'}
    with pytest.raises(ValueError, match='two sentences'):
        s1.parse_two_sentences('A small dog')
