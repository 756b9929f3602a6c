"""The four launch scripts forward their arguments as documented.

``PYTHON`` / ``srun`` are replaced by stand-ins that print their argv, so
these tests check the command lines the scripts build (the real torchrun
launch is exercised by test_train_resume_dist.py and test_dist_faults.py).
"""
import os
import os.path as osp
import stat
import subprocess

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO, 'tools')


def _stub(path, status=0):
    path.write_text('#!/usr/bin/env bash\nfor a in "$@"; do echo "ARG $a"; '
                    f'done\nexit {status}\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def _args(stdout):
    return [line[4:] for line in stdout.splitlines() if line.startswith('ARG ')]


def _run(script, argv, env):
    return subprocess.run(['bash', osp.join(TOOLS, script), *argv],
                          capture_output=True, text=True, env=env, timeout=60)


def test_dist_train_forwards_config_procs_and_options(tmp_path):
    env = dict(os.environ, PYTHON=_stub(tmp_path / 'py'), PORT='29991')
    res = _run('dist_train.sh', ['my cfg.py', '3', '--resume', 'auto'], env)
    assert res.returncode == 0, res.stderr
    args = _args(res.stdout)
    assert args[:2] == ['-m', 'torch.distributed.run']
    assert '--nproc_per_node=3' in args and '--master_port=29991' in args
    assert args[args.index(osp.join(TOOLS, 'train.py')) + 1:] == [
        'my cfg.py', '--resume', 'auto', '--launcher', 'pytorch']


def test_dist_test_forwards_checkpoint_and_names_the_failure(tmp_path):
    env = dict(os.environ, PYTHON=_stub(tmp_path / 'py', status=3))
    res = _run('dist_test.sh', ['cfg.py', 'ckpt.pth', '2', '--out', 'r.json'],
               env)
    assert res.returncode == 3
    args = _args(res.stdout)
    assert '--nproc_per_node=2' in args
    assert args[args.index(osp.join(TOOLS, 'test.py')) + 1:] == [
        'cfg.py', 'ckpt.pth', '--out', 'r.json', '--launcher', 'pytorch']
    assert 'dist_test.sh: testing FAILED (exit status 3)' in res.stderr


def test_slurm_scripts_forward_to_srun(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    _stub(bin_dir / 'srun')
    env = dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
               PYTHON='py', GPUS='4', GPUS_PER_NODE='2')
    res = _run('slurm_train.sh', ['part', 'job', 'cfg.py', 'work', '--amp'],
               env)
    assert res.returncode == 0, res.stderr
    args = _args(res.stdout)
    assert args[:8] == ['-p', 'part', '--job-name=job', '--gres=gpu:2',
                        '--ntasks=4', '--ntasks-per-node=2',
                        '--cpus-per-task=5', '--kill-on-bad-exit=1']
    assert args[8:] == ['py', '-u', osp.join(TOOLS, 'train.py'), 'cfg.py',
                        '--work-dir=work', '--amp', '--launcher=slurm']
    res = _run('slurm_test.sh', ['part', 'job', 'cfg.py', 'c.pth'], env)
    assert res.returncode == 0, res.stderr
    assert _args(res.stdout)[8:] == ['py', '-u', osp.join(TOOLS, 'test.py'),
                                     'cfg.py', 'c.pth', '--launcher=slurm']
