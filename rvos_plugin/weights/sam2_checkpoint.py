"""Pair a SAM2 / SAM2.1 checkpoint with its ``sam2`` package config.

InterRVOS and Sa2VA tell users to download ``sam2_hiera_large.pt`` (SAM2.0);
the sam2 package also ships SAM2.1 (``sam2.1_hiera_large.pt``). The two
families differ in their config (SAM2.1 adds ``no_obj_embed_spatial`` and the
projected temporal encoding of object pointers, ``obj_ptr_tpos_proj``), so a
checkpoint loads only with the config of its own family and size. sam2's
``build_sam2`` then fails with a bare ``RuntimeError`` listing missing keys.

:func:`resolve_sam2_config` makes the pairing explicit: ``config='auto'``
picks the config from the checkpoint's keys; an explicit config name is
checked against the checkpoint and a mismatch names both files and the fix.

==========================  ==================================
checkpoint                  config (``sam2`` package)
==========================  ==================================
``sam2_hiera_large.pt``     ``configs/sam2/sam2_hiera_l.yaml``
``sam2.1_hiera_large.pt``   ``configs/sam2.1/sam2.1_hiera_l.yaml``
(tiny/small/base_plus alike: ``_t``, ``_s``, ``_b+``)
==========================  ==================================
"""
import os.path as osp
import re
from typing import Mapping, Optional, Tuple, Union

#: Hiera trunk depth (sum of ``stages``) -> size letter of the config names.
HIERA_DEPTH_TO_SIZE = {12: 't', 16: 's', 24: 'b+', 48: 'l'}
SIZE_NAMES = {'t': 'tiny', 's': 'small', 'b+': 'base_plus', 'l': 'large'}
#: Keys only SAM2.1 checkpoints have.
SAM21_KEYS = ('no_obj_embed_spatial', 'obj_ptr_tpos_proj.weight')
_CONFIG_NAME = re.compile(r'(sam2(?:\.1)?)_hiera_(t|s|b\+|l)\.yaml$')


def config_name(version: str, size: str) -> str:
    """``('2.1', 'l')`` -> ``'configs/sam2.1/sam2.1_hiera_l.yaml'``."""
    family = 'sam2' if version == '2.0' else 'sam2.1'
    return f'configs/{family}/{family}_hiera_{size}.yaml'


def checkpoint_name(version: str, size: str) -> str:
    """The file name Meta publishes (``sam2_hiera_large.pt`` ...)."""
    family = 'sam2' if version == '2.0' else 'sam2.1'
    return f'{family}_hiera_{SIZE_NAMES[size]}.pt'


def identify_state_dict(state: Mapping) -> Tuple[str, Optional[str]]:
    """Family and size of a SAM2 state dict, from its keys.

    Args:
        state (Mapping[str, Tensor]): the ``'model'`` entry of the checkpoint.

    Returns:
        tuple[str, str | None]: ``('2.0' | '2.1', 't' | 's' | 'b+' | 'l')``;
        the size is None for a Hiera depth no released model has (tiny test
        models).
    """
    if not any(k.startswith('image_encoder.trunk.') for k in state):
        raise ValueError('not a SAM2 state dict: no image_encoder.trunk.* '
                         'keys')
    version = '2.1' if any(k in state for k in SAM21_KEYS) else '2.0'
    blocks = {int(m.group(1)) for k in state
              for m in [re.match(r'image_encoder\.trunk\.blocks\.(\d+)\.', k)]
              if m}
    return version, HIERA_DEPTH_TO_SIZE.get(len(blocks))


def load_sam2_state_dict(path: str) -> Mapping:
    """The state dict of a SAM2 ``.pt`` (``{'model': state_dict}``),
    memory-mapped (a 900 MB file costs no memory to inspect)."""
    import torch
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'SAM2 checkpoint not found: {path!r}. Download it from '
            'https://github.com/facebookresearch/sam2#download-checkpoints '
            '(InterRVOS/Sa2VA use SAM2.0 sam2_hiera_large.pt: https://'
            'dl.fbaipublicfiles.com/segment_anything_2/072824/'
            'sam2_hiera_large.pt) and put it under checkpoints/.')
    state = torch.load(path, map_location='cpu', weights_only=True,
                       mmap=True)
    return state.get('model', state)


def parse_config_name(name: str) -> Optional[Tuple[str, str]]:
    """``'configs/sam2/sam2_hiera_l.yaml'`` -> ``('2.0', 'l')``; None for a
    name outside the released pattern (user configs are not checked)."""
    match = _CONFIG_NAME.search(name)
    if not match:
        return None
    return ('2.1' if match.group(1) == 'sam2.1' else '2.0', match.group(2))


def resolve_sam2_config(config: Union[str, dict],
                        checkpoint: Optional[str]) -> Union[str, dict]:
    """The config to build ``checkpoint`` with.

    Args:
        config (str | dict): ``'auto'`` (from the checkpoint), a config name
            of the sam2 package, or a full config dict (returned unchanged:
            its keys are checked when the state dict is loaded).
        checkpoint (str, optional): the ``.pt`` file.

    Returns:
        str | dict: the config name (or the dict).

    Raises:
        ValueError: ``'auto'`` without a checkpoint, a checkpoint of an
            unreleased depth with ``'auto'``, or a family/size mismatch
            (the message names the matching config and checkpoint).
    """
    if not isinstance(config, str):
        return config
    if checkpoint is None:
        if config == 'auto':
            raise ValueError("model.sam2.config='auto' reads the family and "
                             'size from the checkpoint; set '
                             'model.sam2.checkpoint or name the config.')
        return config
    version, size = identify_state_dict(load_sam2_state_dict(checkpoint))
    if config == 'auto':
        if size is None:
            raise ValueError(
                f'{checkpoint}: a SAM{version} Hiera of a depth no released '
                'model has; name its config explicitly.')
        return config_name(version, size)
    wanted = parse_config_name(config)
    if wanted is not None and wanted != (version, size or wanted[1]):
        right = config_name(version, size or wanted[1])
        raise ValueError(
            f'SAM2 checkpoint {checkpoint!r} is SAM{version}'
            + (f' Hiera-{SIZE_NAMES[size]}' if size else '') +
            f', but the config {config!r} is SAM{wanted[0]} Hiera-'
            f'{SIZE_NAMES[wanted[1]]}. Set model.sam2.config={right!r} '
            "(or 'auto'), or download "
            f'{checkpoint_name(*wanted)} for this config.')
    return config
