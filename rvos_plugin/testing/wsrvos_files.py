"""The WSRVOS side files of a MeViS-format test fixture.

``crea.json`` (the CREA expressions ``LoadWSRVOSExpressions`` reads, keyed
``synthetic:<video>:<expression id>``) and optionally ``objects.json`` (the
attributes ``LoadWSRVOSObjectAttributes`` reads), for every expression of
``<root>/train/meta_expressions.json``.
"""
import json
import os.path as osp
from typing import Sequence

#: two objects per video (the fixture's), described for the presence rule
FIXTURE_OBJECTS = [
    dict(colour='red', shape='square', size='small', motion='right'),
    dict(colour='blue', shape='square', size='small', motion='still')]


def write_wsrvos_files(root: str,
                       positive_formats: Sequence[str],
                       positive_confidences: Sequence[float],
                       negative_texts: Sequence[str] = (),
                       write_objects: bool = True) -> None:
    """Write ``<root>/crea.json`` (and ``<root>/objects.json``).

    Args:
        root (str): Fixture root holding ``train/meta_expressions.json``.
        positive_formats (Sequence[str]): One format per positive, with
            ``{exp}`` standing for the original expression.
        positive_confidences (Sequence[float]): Their c_k, same length.
        negative_texts (Sequence[str]): The negatives of every expression.
        write_objects (bool): Also write ``objects.json``
            (:data:`FIXTURE_OBJECTS` for every video).
    """
    root = str(root)
    meta_file = osp.join(root, 'train', 'meta_expressions.json')
    with open(meta_file) as f:
        meta = json.load(f)
    table, objects = {}, {}
    for vid, video in meta['videos'].items():
        objects[vid] = dict(objects=[dict(o) for o in FIXTURE_OBJECTS])
        for eid, e in video['expressions'].items():
            table[f'synthetic:{vid}:{eid}'] = dict(
                positive_texts=[p.format(exp=e['exp'])
                                for p in positive_formats],
                positive_confidences=list(positive_confidences),
                negative_texts=list(negative_texts))
    with open(osp.join(root, 'crea.json'), 'w') as f:
        json.dump(table, f)
    if write_objects:
        with open(osp.join(root, 'objects.json'), 'w') as f:
            json.dump(dict(videos=objects), f)
