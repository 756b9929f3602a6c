"""Ref-DAVIS17 in the Ref-YouTube-VOS layout (ReferFormer's conversion).

Made by ``tools/dataset_converters/ref_davis17_to_ytvos.py``. Each object
has 4 expressions, ``exp_id = obj_idx * 4 + anno_idx`` with ``anno_idx`` in
[annot1 first-frame, annot1 full-video, annot2 first-frame, annot2
full-video]; results are reported as the mean over the 4 annotator sets.
"""
from typing import List, Optional

from rvos_plugin.registry import DATASETS
from .ref_ytvos_dataset import RVOSRefYouTubeVOSDataset

REF_DAVIS_NUM_ANNOTATORS = 4  # 2 annotators x {first frame, full video}


def ref_davis_annotator(exp_id) -> int:
    """Annotator set of an expression: ``exp_id % 4``."""
    return int(exp_id) % REF_DAVIS_NUM_ANNOTATORS


@DATASETS.register_module()
class RVOSRefDAVIS17Dataset(RVOSRefYouTubeVOSDataset):
    """Ref-DAVIS17: Ref-YTVOS layout, masks in both splits.

    Args:
        split (str): ``'train'`` (60 videos) or ``'valid'`` (30 videos).
        annotator (int, optional): Keep only annotator set 0..3; None keeps
            all four (the metric then reports each set and their mean).
        **kwargs: See :class:`RVOSRefYouTubeVOSDataset`.
    """

    METAINFO = dict(dataset_type='ref_davis17',
                    task='referring video segmentation')

    def __init__(self, data_root: str, split: str = 'valid',
                 annotator: Optional[int] = None, **kwargs):
        if annotator is not None and annotator not in range(
                REF_DAVIS_NUM_ANNOTATORS):
            raise ValueError(f'annotator must be 0..3 or None, got '
                             f'{annotator!r}')
        self.annotator = annotator
        kwargs.setdefault('with_masks', True)
        super().__init__(data_root=data_root, split=split, **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = []
        for info in super().load_data_list():
            info['annotator'] = ref_davis_annotator(info['exp_id'])
            if self.annotator is None or info['annotator'] == self.annotator:
                data_list.append(info)
        return data_list
