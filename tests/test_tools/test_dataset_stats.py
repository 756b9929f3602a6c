"""dataset_stats.py counts from annotations only."""
import json
import os.path as osp
import os

from rvos_plugin.testing import make_a2d_fixture, make_ref_ytvos_fixture

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'dataset_stats.py')


def _run(*args):
    """Run the tool's main() in-process; parse its last stdout line."""
    import contextlib
    import importlib.util
    import io
    spec = importlib.util.spec_from_file_location('dataset_stats', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        with contextlib.redirect_stdout(out):
            module.main(list(args))
    finally:
        os.chdir(cwd)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_stats_real_ytvos_meta_without_frames(tmp_path, shared_data):
    root = tmp_path / 'y'
    (root / 'meta_expressions/valid').mkdir(parents=True)
    (root / 'meta_expressions/valid/meta_expressions.json').write_text(open(
        osp.join(shared_data, 'ref-ytvos_valid_meta',
                 'meta_expressions.json')).read())
    stats = _run('configs/_base_/datasets/ref-ytvos.py', '--split', 'val',
                 '--data-root', str(root), '--cfg-options',
                 'val_dataloader.dataset.test_ann_file=None')
    assert stats['videos'] == 507 and stats['expressions'] == 2096


def test_stats_a2d_fixture(tmp_path):
    import shutil
    make_a2d_fixture(str(tmp_path), write_mp4=False, write_frames=False)
    shutil.rmtree(tmp_path / 'Release' / 'clips320H', ignore_errors=True)
    stats = _run('configs/_base_/datasets/a2d-sentences.py', '--data-root',
                 str(tmp_path))
    # T6bNPuKV-wY (1 query) + vidTrain01 (2 queries, 3 frame samples)
    assert stats == dict(videos=2, expressions=3, objects=3, samples=4,
                         dataset='RVOSA2DSentencesDataset', split='train')
