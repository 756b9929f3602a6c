"""Convert DAVIS-2017 + davis_text_annotations to the Ref-YouTube-VOS layout.

As ReferFormer's ``convert_davis_to_ytvos.py``: per object 4 expressions in
the order [annot1 first-frame, annot1 full-video, annot2 first-frame,
annot2 full-video], ``exp_id = obj_idx * 4 + anno_idx``; masks from
``Annotations_unsupervised/480p``; 60 train / 30 valid videos.

Usage::

    python tools/dataset_converters/ref_davis17_to_ytvos.py \
        --davis data/DAVIS --text data/davis_text_annotations \
        --out data/ref-davis [--link]
"""
import argparse
import json
import os
import os.path as osp
import re
import shutil
import warnings
from typing import Dict, List, Tuple

# (file stem, encoding); the order defines anno_idx.
ANNOTATION_FILES = (('Davis17_annot1', 'utf-8'),
                    ('Davis17_annot1_full_video', 'utf-8'),
                    ('Davis17_annot2', 'latin-1'),
                    ('Davis17_annot2_full_video', 'latin-1'))
NAME_FIXES = {'clasic-car': 'classic-car', 'dog-scale': 'dogs-scale',
              'motor-bike': 'motorbike'}
SPLIT_FILES = {'train': 'train.txt', 'valid': 'val.txt'}
_LINE = re.compile(r'^(\S+)\s+(\d+)\s+"(.*)"\s*$')


def parse_annotation_file(path: str, encoding: str
                          ) -> Dict[Tuple[str, int], str]:
    """``{(video, obj_id): expression}`` of one Davis17_annot*.txt file.

    Raises:
        ValueError: a line that is not ``video obj_id "expression"``,
            naming file and line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path!r} not found; download davis_text_annotations '
            '(Khoreva et al.) and pass its folder with --text.')
    out = {}
    with open(path, encoding=encoding) as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            match = _LINE.match(line.strip())
            if match is None:
                raise ValueError(f'{path}:{line_no}: expected `video obj_id '
                                 f'"expression"`, got {line.strip()!r}')
            video = NAME_FIXES.get(match.group(1), match.group(1))
            text = ' '.join(match.group(3).split())
            if not text:
                raise ValueError(f'{path}:{line_no}: empty expression')
            out[(video, int(match.group(2)))] = text
    return out


def build_split_meta(videos: List[str], annotations: List[dict],
                     frames: Dict[str, List[str]],
                     skip_invalid: bool = False) -> dict:
    """Ref-YTVOS ``meta_expressions`` dict of one split.

    Raises:
        ValueError: an object lacks an expression in one annotator file
            (unless ``skip_invalid``: then warn with the count).
    """
    out, missing = {}, []
    for video in videos:
        obj_ids = sorted({o for ann in annotations for (v, o) in ann
                          if v == video})
        exps = {}
        for obj_idx, obj_id in enumerate(obj_ids):
            for anno_idx, ann in enumerate(annotations):
                text = ann.get((video, obj_id))
                if text is None:
                    missing.append(f'{video} object {obj_id} in '
                                   f'{ANNOTATION_FILES[anno_idx][0]}.txt')
                    continue
                exps[str(obj_idx * 4 + anno_idx)] = dict(
                    exp=text, obj_id=str(obj_id))
        out[video] = dict(expressions=exps, frames=frames[video])
    if missing and not skip_invalid:
        raise ValueError(f'missing expressions: {missing[:5]} (total '
                         f'{len(missing)}); pass --skip-invalid to skip them')
    if missing:
        warnings.warn(f'skipped {len(missing)} missing expressions')
    return out


def convert(davis_root: str, text_root: str, out_root: str,
            link: bool = False, skip_invalid: bool = False) -> Dict[str, int]:
    """Write the converted layout; returns ``{split: number of videos}``."""
    from tqdm import tqdm
    annotations = [
        parse_annotation_file(osp.join(text_root, stem + '.txt'), enc)
        for stem, enc in ANNOTATION_FILES
    ]
    counts = {}
    for split, list_name in SPLIT_FILES.items():
        list_path = osp.join(davis_root, 'ImageSets', '2017', list_name)
        if not osp.isfile(list_path):
            raise FileNotFoundError(f'{list_path!r} not found; --davis must be'
                                    ' the DAVIS-2017 trainval root.')
        with open(list_path) as f:
            videos = [v.strip() for v in f if v.strip()]
        frames = {}
        for video in tqdm(videos, desc=f'Ref-DAVIS17 {split}'):
            src_img = osp.join(davis_root, 'JPEGImages', '480p', video)
            src_ann = osp.join(davis_root, 'Annotations_unsupervised', '480p',
                               video)
            for src in (src_img, src_ann):
                if not osp.isdir(src):
                    raise FileNotFoundError(
                        f'{src!r} not found (video {video!r}); download '
                        'DAVIS-2017 trainval 480p incl. the unsupervised '
                        'annotations.')
            frames[video] = sorted(
                osp.splitext(n)[0] for n in os.listdir(src_img)
                if n.endswith('.jpg'))
            for src, kind in ((src_img, 'JPEGImages'),
                              (src_ann, 'Annotations')):
                dst = osp.join(out_root, split, kind, video)
                if osp.lexists(dst):
                    continue
                os.makedirs(osp.dirname(dst), exist_ok=True)
                if link:
                    os.symlink(osp.abspath(src), dst)
                else:
                    shutil.copytree(src, dst)
        meta = build_split_meta(videos, annotations, frames, skip_invalid)
        _dump(osp.join(out_root, 'meta_expressions', split,
                       'meta_expressions.json'), dict(videos=meta))
        objects = {
            v: dict(objects={
                e['obj_id']: dict(category='object', frames=frames[v])
                for e in m['expressions'].values()
            }) for v, m in meta.items()
        }
        _dump(osp.join(out_root, split, 'meta.json'), dict(videos=objects))
        counts[split] = len(videos)
    return counts


def _dump(path: str, obj) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--davis', required=True, help='DAVIS-2017 root')
    parser.add_argument('--text', required=True,
                        help='davis_text_annotations folder')
    parser.add_argument('--out', required=True, help='output root')
    parser.add_argument('--link', action='store_true',
                        help='symlink frames/masks instead of copying')
    parser.add_argument('--skip-invalid', action='store_true')
    args = parser.parse_args()
    print(convert(args.davis, args.text, args.out, args.link,
                  args.skip_invalid))


if __name__ == '__main__':
    main()
