"""Fixtures of the robustness (fuzz) suite: a tiny valid split to damage.

Every case builds a bad input from a valid one, runs the real reader/tool on
it and asserts the outcome class: an error whose message names the file (and
the item), or the documented behaviour. Nothing may pass silently.
"""
import json
import os.path as osp
import re
import shutil

import pytest

from rvos_plugin.testing import make_mevis_fixture


@pytest.fixture(scope='session')
def valid_split(tmp_path_factory):
    """``<root>/train``: 2 videos x 4 frames of 24x32, masks, 3 exps each."""
    root = tmp_path_factory.mktemp('valid_split')
    make_mevis_fixture(str(root), 'train', num_videos=2, num_frames=4,
                       size=(24, 32))
    return str(root)


@pytest.fixture
def split_copy(valid_split, tmp_path):
    """A writable copy of the valid split: ``(root, split_dir)``."""
    root = str(tmp_path / 'data')
    shutil.copytree(valid_split, root)
    return root, osp.join(root, 'train')


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f)


def names(path) -> str:
    """Regex matching the file's base name (the message must name it)."""
    return re.escape(osp.basename(str(path)))
