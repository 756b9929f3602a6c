"""The ReVIOsA test configs for MeViS valid_u / valid and Ref-YTVOS valid."""
import os.path as osp

import pytest
from mmengine.config import Config

from rvos_plugin.registry import DATASETS, METRICS
from rvos_plugin.testing import make_mevis_fixture
from rvos_plugin.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PREFIX = osp.join(ROOT, 'configs', 'reviosa',
                  'reviosa_internvl25-1b-lora_sam2-hiera-l_test-')


def _cfg(name):
    return Config.fromfile(PREFIX + name + '.py')


def test_mevis_valid_u_writes_results_json_and_scores(tmp_path):
    register_all_modules()
    cfg = _cfg('mevis-valid-u')
    assert cfg.model.type == 'ReVIOsA'  # the real 1B model, inherited
    evaluator = METRICS.build(cfg.test_evaluator)
    assert type(evaluator).__name__ == 'ReVIOsAActorTargetMetric'
    assert evaluator.protocol == 'official'
    assert evaluator.results_file.endswith('mevis_valid_u/results.json')
    make_mevis_fixture(str(tmp_path), split='valid_u', num_frames=3)
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = str(tmp_path)
    dataset = DATASETS.build(dataset_cfg)
    sample = dataset[0]
    frames = sample['data_samples'].video_data_samples
    assert len(frames) == 3  # every frame predicted and scored
    assert 'gt_mask' in frames[0]


def test_mevis_valid_is_format_only_without_masks(tmp_path):
    register_all_modules()
    cfg = _cfg('mevis-valid')
    evaluator = METRICS.build(cfg.test_evaluator)
    assert evaluator.format_only and evaluator.outfile_prefix.endswith(
        'mevis_valid_submission')
    make_mevis_fixture(str(tmp_path), split='valid', num_frames=3,
                       with_masks=False)
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = str(tmp_path)
    sample = DATASETS.build(dataset_cfg)[0]
    frames = sample['data_samples'].video_data_samples
    assert len(frames) == 3 and 'gt_mask' not in frames[0]


def test_ref_ytvos_valid_writes_the_submission_zip():
    register_all_modules()
    cfg = _cfg('ref-ytvos-valid')
    evaluator = METRICS.build(cfg.test_evaluator)
    assert type(evaluator).__name__ == 'RVOSRefYTVOSSubmission'
    dataset = cfg.test_dataloader.dataset
    assert dataset.type == 'RVOSRefYouTubeVOSDataset'
    assert dataset.split == 'valid' and dataset.test_mode
    assert [t.type for t in dataset.pipeline] == [
        'RVOSFrameSample', 'LoadRVOSFrames', 'RVOSResize', 'PackRVOSInputs']
    assert dataset.pipeline[0].test_mode  # every listed frame


@pytest.mark.parametrize('name', ['mevis-valid-u', 'mevis-valid',
                                  'ref-ytvos-valid'])
def test_inherit_the_real_1b_config(name):
    cfg = _cfg(name)
    assert cfg.model.mllm.pretrained == 'pretrained/InternVL2_5-1B-hf' or \
        'InternVL2_5-1B' in cfg.model.mllm.pretrained
    assert cfg.test_dataloader.batch_size == 1
