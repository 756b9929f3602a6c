"""InterRVOS-8K (and the synthetic interaction set) for ReVIOsA.

InterRVOS-8K is MeViS-format plus ``caption_type`` and ``subject/object``
roles per expression (``../shared/notes/FORMATS.md``); the official
actor-target evaluation reads ``val/new_meta_expressions.json`` +
``val/new_mask_dict.json``.
"""
from typing import Dict, List, Optional, Sequence

from rvos_plugin.registry import DATASETS
from .mevis_dataset import (INTERRVOS_CAPTION_TYPES, RVOSAnnotationError,
                            RVOSMeViSDataset)

SUBSETS = ('all', 'actor_target', 'referring')


@DATASETS.register_module()
class RVOSInterRVOSDataset(RVOSMeViSDataset):
    """One sample per (video, expression) of an InterRVOS-format split.

    Args:
        subset (str): ``'all'``; ``'actor_target'`` -- only expressions with
            a supervised target (``has_target``: unidirectional with a
            non-empty ``subject/object.anno_id.object``), the Actor-Target
            protocol of Table 5; ``'referring'`` -- the others.
        official_subset_files (bool): with ``subset='actor_target'``, read
            the official ``new_meta_expressions.json`` /
            ``new_mask_dict.json`` of the split instead of the default files
            (the expressions are still filtered by ``has_target``).
        caption_types (Sequence[str], optional): keep only these caption
            types (Table 4 breakdowns).
        require_caption_type (bool): every expression must carry
            ``caption_type`` (InterRVOS); error naming the item otherwise.
        caption_type_repeats (dict, optional): training-time oversampling,
            ``{caption_type: n}``: each expression of that type appears n
            times (an integer >= 1) in the data list, e.g.
            ``dict(unidirectional=3)`` so the target token, supervised only
            on unidirectional expressions, gets more updates. Not allowed
            with ``test_mode=True`` (evaluation counts every item once).
        **kwargs: :class:`RVOSMeViSDataset` arguments (``data_root``,
            ``split``, ``pipeline``, ``test_mode``...).
    """

    def __init__(self,
                 *args,
                 subset: str = 'all',
                 official_subset_files: bool = False,
                 caption_types: Optional[Sequence[str]] = None,
                 require_caption_type: bool = True,
                 caption_type_repeats: Optional[Dict[str, int]] = None,
                 **kwargs):
        if subset not in SUBSETS:
            raise ValueError(f'subset must be one of {SUBSETS}, got '
                             f'{subset!r}.')
        if official_subset_files:
            if subset != 'actor_target':
                raise ValueError('official_subset_files=True only applies to '
                                 "subset='actor_target'.")
            kwargs.setdefault('ann_file', 'new_meta_expressions.json')
            kwargs.setdefault('mask_file', 'new_mask_dict.json')
        if caption_types is not None:
            bad = set(caption_types) - set(INTERRVOS_CAPTION_TYPES)
            if bad:
                raise ValueError(f'unknown caption_types {sorted(bad)}; '
                                 f'expected {INTERRVOS_CAPTION_TYPES}.')
        self.subset = subset
        self.caption_types = (None if caption_types is None else
                              tuple(caption_types))
        self.require_caption_type = require_caption_type
        repeats = dict(caption_type_repeats or {})
        bad = set(repeats) - set(INTERRVOS_CAPTION_TYPES)
        if bad:
            raise ValueError(f'caption_type_repeats: unknown caption types '
                             f'{sorted(bad)}; expected '
                             f'{INTERRVOS_CAPTION_TYPES}.')
        for name, n in repeats.items():
            if not isinstance(n, int) or n < 1:
                raise ValueError(f'caption_type_repeats[{name!r}] must be an '
                                 f'integer >= 1, got {n!r}.')
        if repeats and kwargs.get('test_mode', False):
            raise ValueError('caption_type_repeats oversamples training '
                             'data; evaluation (test_mode=True) counts '
                             'every expression once: remove it.')
        self.caption_type_repeats = repeats
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        kept = []
        for info in data_list:
            if self.require_caption_type and info['caption_type'] is None:
                raise RVOSAnnotationError(
                    f'{self.ann_file}: video {info["video_id"]!r} expression '
                    f'{info["exp_id"]!r} has no "caption_type"; InterRVOS '
                    'expressions need one of '
                    f'{INTERRVOS_CAPTION_TYPES} (or set '
                    'require_caption_type=False for plain MeViS files).')
            if self.subset == 'actor_target' and not info['has_target']:
                continue
            if self.subset == 'referring' and info['has_target']:
                continue
            if self.caption_types is not None and \
                    info['caption_type'] not in self.caption_types:
                continue
            kept.extend([info] * self.caption_type_repeats.get(
                info['caption_type'], 1))
        if not kept:
            raise RVOSAnnotationError(
                f'{self.ann_file}: no expression left after the filters '
                f'subset={self.subset!r}, caption_types={self.caption_types}.')
        return kept
