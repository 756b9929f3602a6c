"""Config handling shared by tools/train.py and tools/test.py.

* ``--data-root DIR`` and ``--cfg-options data_root=DIR`` change the root of
  every dataset that used the config's ``data_root`` (the dataset dicts copy
  the variable when the config is parsed, so merging the top-level key alone
  changes nothing). A dataset with a root of its own (e.g. a Ref-DAVIS test
  set beside a Ref-YouTube-VOS training set) is an error naming the key to
  set, unless that key is set explicitly too.
* Unknown top-level keys: a key close to one the runner reads
  (``optim_wraper``) is reported with its near matches -- a warning, or an
  error with ``--strict-cfg``.
* ``--resume``: resume from the work dir's latest checkpoint (an error when
  there is none), ``--resume auto`` (resume if there is one, else say that
  training starts fresh) or ``--resume PATH``.
* ``--trust-pickle``: unrestricted checkpoint unpickling
  (:mod:`rvos_plugin.utils.safe_checkpoint`).
"""
import argparse
import difflib
import os
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config, DictAction

#: Top-level keys read by mmengine's Runner / FlexibleRunner and this
#: project's entry points.
RUNNER_KEYS = frozenset({
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'vis_backends', 'default_scope', 'randomness',
    'experiment_name', 'custom_imports', 'model_wrapper_cfg',
    'find_unused_parameters', 'runner_type', 'strategy', 'compile',
    'data_root', 'dataset_type', 'train_pipeline', 'test_pipeline',
    'val_pipeline', 'backend_args', 'load_checkpoint_kwargs',
})

RESUME_LATEST = 'latest'
RESUME_AUTO = 'auto'


class ConfigKeyError(KeyError):
    """A config key that is unknown or cannot be overridden as asked."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def parse_cfg_options(items: Sequence[str]) -> dict:
    """``['a.b=1', 'c=[2,3]']`` -> ``{'a.b': 1, 'c': [2, 3]}``.

    mmengine's ``DictAction`` parsing, for scripts that take the options as
    plain strings (so that ``--help`` does not import mmengine).
    """
    if not items:
        return {}
    namespace = argparse.Namespace()
    DictAction(option_strings=[], dest='options')(None, namespace,
                                                  list(items))
    return namespace.options


def add_config_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--data-root``, ``--strict-cfg`` and ``--trust-pickle``."""
    parser.add_argument(
        '--data-root',
        help='root folder of the dataset(s): replaces the config\'s '
        'data_root in every dataset that uses it (same as --cfg-options '
        'data_root=DIR)')
    parser.add_argument(
        '--strict-cfg', action='store_true',
        help='unknown top-level config keys are errors (default: warning)')
    parser.add_argument(
        '--trust-pickle', action='store_true',
        help='load checkpoints with weights_only=False (runs code from the '
        'file: only for checkpoints you trust that the safe loader refuses)')


def load_config(args: argparse.Namespace) -> Config:
    """Read ``args.config`` and apply ``--cfg-options`` / ``--data-root``.

    Args:
        args: Parsed arguments with ``config``, ``cfg_options`` and the ones
            of :func:`add_config_args`.

    Returns:
        Config: The merged config.

    Raises:
        ConfigKeyError: A dataset root cannot follow ``data_root``, or an
            unknown key with ``--strict-cfg``.
    """
    cfg = Config.fromfile(args.config)
    options = dict(args.cfg_options or {})
    data_root = getattr(args, 'data_root', None)
    if 'data_root' in options:
        option_root = options.pop('data_root')
        if data_root is not None and data_root != option_root:
            raise ConfigKeyError(
                f'--data-root {data_root!r} and --cfg-options '
                f'data_root={option_root!r} disagree: give one of them.')
        data_root = option_root
    explicit = {k for k in options if k.endswith('.data_root')}
    if data_root is not None:
        apply_data_root(cfg, str(data_root), explicit, args.config)
    if options:
        cfg.merge_from_dict(options)
    report_unknown_keys(cfg, args.config,
                        strict=bool(getattr(args, 'strict_cfg', False)))
    if getattr(args, 'trust_pickle', False):
        from rvos_plugin.utils.safe_checkpoint import TRUST_PICKLE_ENV
        os.environ[TRUST_PICKLE_ENV] = '1'
    return cfg


def _walk(node: Any, path: str):
    """Yield ``(path, dict)`` for every dict nested in ``node``."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f'{path}.{key}' if path else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _walk(value, f'{path}[{i}]')


def apply_data_root(cfg: Config, data_root: str, explicit=(),
                    config_name: str = 'the config') -> List[str]:
    """Point every dataset that followed ``cfg.data_root`` at ``data_root``.

    Dataset dicts whose ``data_root`` equals the config's top-level
    ``data_root`` are changed, and so are their string values that start
    with the old root (``ann_file='data/x/meta.json'``).

    Args:
        cfg (Config): Modified in place.
        data_root (str): The new root.
        explicit (set[str]): Dotted keys the user sets explicitly (no error
            for them).
        config_name (str): For messages.

    Returns:
        list[str]: The dotted keys changed.

    Raises:
        ConfigKeyError: A dataset has a root of its own.
    """
    old = cfg.get('data_root', None)
    found: List[Tuple[str, Dict]] = []
    for section in [k for k in cfg.keys() if k != 'data_root']:
        for path, node in _walk(cfg[section], section):
            if 'data_root' in node:
                found.append((path, node))
    if old is None:
        roots = {n['data_root'] for _, n in found}
        if len(roots) == 1:
            old = roots.pop()
    changed, foreign = [], []
    for path, node in found:
        if old is not None and node['data_root'] == old:
            node['data_root'] = data_root
            changed.append(f'{path}.data_root')
            for key, value in list(node.items()):
                if isinstance(value, str) and old and \
                        value.startswith(old.rstrip('/') + '/'):
                    node[key] = data_root.rstrip('/') + value[len(
                        old.rstrip('/')):]
                    changed.append(f'{path}.{key}')
        elif f'{path}.data_root' not in explicit:
            foreign.append((f'{path}.data_root', node['data_root']))
    if foreign:
        keys = ', '.join(f'{k}={v!r}' for k, v in foreign)
        raise ConfigKeyError(
            f'{config_name}: data_root={data_root!r} cannot be applied to '
            f'{keys}: that dataset does not use the config\'s data_root '
            f'({old!r}). Set its root explicitly, e.g. --cfg-options '
            f'{foreign[0][0]}=/path/to/that/dataset (together with '
            '--data-root for the others).')
    if not changed:
        raise ConfigKeyError(
            f'{config_name}: data_root={data_root!r} was given but no '
            'dataset in the config has a data_root to change; set the '
            'dataset paths with --cfg-options <dataloader>.dataset.<key>=.')
    cfg.data_root = data_root
    return changed


def unknown_top_level_keys(cfg: Config) -> Dict[str, List[str]]:
    """Top-level keys nothing reads, with their near matches.

    A key is reported when it is close to a key the runner reads (a
    misspelling, difflib ratio >= 0.85). Other helper
    variables (``num_frames``, ``resize = dict(type=...)`` used by
    pipelines) are config variables and not reported: after parsing, a
    variable and a forgotten component look alike.

    Returns:
        dict: ``{key: [near matches]}``.
    """
    out = {}
    for key in cfg.keys():
        if key in RUNNER_KEYS or key.startswith('_') or \
                key.endswith('_pipeline'):
            continue
        near = difflib.get_close_matches(key, sorted(RUNNER_KEYS), n=3,
                                         cutoff=0.85)
        if near:
            out[key] = near
    return out


def report_unknown_keys(cfg: Config, config_name: str,
                        strict: bool = False) -> Dict[str, List[str]]:
    """Warn about (or, ``strict``, refuse) unknown top-level keys."""
    unknown = unknown_top_level_keys(cfg)
    if not unknown:
        return unknown
    parts = []
    for key, near in unknown.items():
        hint = f' (did you mean {" / ".join(near)}?)' if near else ''
        parts.append(f'{key!r}{hint}')
    msg = (f'{config_name}: top-level key(s) {", ".join(parts)} are read '
           'by nothing and have no effect.')
    if strict:
        raise ConfigKeyError(msg + ' Fix the name or remove the key '
                             '(--strict-cfg is on).')
    warnings.warn(msg + ' (--strict-cfg makes this an error)',
                  stacklevel=2)
    try:
        from mmengine.logging import print_log
        print_log(msg, logger='current', level=30)
    except Exception:  # logging must not hide the warning
        pass
    return unknown


def apply_resume(cfg: Config, resume: Optional[str]) -> Optional[str]:
    """Resolve ``--resume`` against the work dir.

    Args:
        cfg (Config): Runner config with ``work_dir``; modified in place.
        resume (str, optional): ``None`` (no resume), ``'latest'`` (the
            bare flag: the work dir's latest checkpoint, which must exist),
            ``'auto'`` (resume if a checkpoint exists, else start fresh and
            say so) or a checkpoint path (must exist).

    Returns:
        str | None: The checkpoint resumed from.

    Raises:
        FileNotFoundError: Nothing to resume from (``latest`` or a path).
    """
    from mmengine.logging import print_log
    if resume is None and cfg.get('resume', False) and \
            cfg.get('load_from', None) is None:
        resume = RESUME_LATEST  # resume=True in the config file
    if resume is None:
        return None
    if resume in (RESUME_LATEST, RESUME_AUTO):
        latest = latest_checkpoint(cfg.work_dir)
        if latest is None:
            if resume == RESUME_AUTO:
                print_log(
                    f'--resume auto: no checkpoint in {cfg.work_dir!r}; '
                    'training starts fresh.', logger='current', level=30)
                print(f'--resume auto: no checkpoint in {cfg.work_dir!r}; '
                      'training starts fresh.', flush=True)
                cfg.resume = False
                return None
            raise FileNotFoundError(
                f'--resume: no checkpoint to resume in the work dir '
                f'{cfg.work_dir!r} (no last_checkpoint file, no '
                'epoch_*.pth / iter_*.pth). Give the checkpoint path '
                '(--resume PATH), the right --work-dir, or --resume auto '
                'to start fresh when there is none.')
        resume = latest
    elif not is_checkpoint(resume):
        raise FileNotFoundError(
            f'--resume {resume!r}: checkpoint file not found. Give an '
            'existing .pth (a file, or the folder DeepSpeed writes), or '
            "--resume auto to resume from the work dir's latest checkpoint "
            'if there is one.')
    cfg.resume = True
    cfg.load_from = resume
    return resume


def is_checkpoint(path: str) -> bool:
    """Whether ``path`` is a checkpoint the runner can resume from: a file,
    or the folder mmengine's ``DeepSpeedStrategy`` saves (``epoch_1.pth/``
    holding ``mp_rank_00_model_states.pt`` and the ZeRO partitions)."""
    if osp.isfile(path):
        return True
    return osp.isfile(osp.join(path, 'mp_rank_00_model_states.pt'))


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The work dir's latest checkpoint, or ``None``.

    Reads mmengine's ``last_checkpoint`` file; without it, the newest
    ``epoch_*.pth`` / ``iter_*.pth``. A ``last_checkpoint`` naming a missing
    file is an error (it would otherwise silently start fresh).
    """
    import glob
    import re
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            path = f.read().strip()
        if not is_checkpoint(path):
            raise FileNotFoundError(
                f'{pointer} names {path!r}, which does not exist. Give the '
                'checkpoint with --resume PATH or remove the stale '
                'last_checkpoint file.')
        return path
    found = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = re.fullmatch(r'(epoch|iter)_(\d+)\.pth', osp.basename(path))
        if match and is_checkpoint(path):
            found.append((int(match.group(2)), path))
    return max(found)[1] if found else None
