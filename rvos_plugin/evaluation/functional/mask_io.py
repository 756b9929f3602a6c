"""Reading and writing evaluation masks: PNG files, COCO RLE, submission zips.

Conventions (``docs/decisions/evaluation.md``):

* A mask PNG is foreground wherever it is non-zero: grayscale 0/255 or 0/1,
  palette (DAVIS style: the palette *index* counts, not its colour) and RGB
  (any non-zero channel; an alpha channel is ignored).
* Written masks are single-channel uint8 PNGs with 0 / 255 (the MeViS and
  Ref-YouTube-VOS submission format).
"""
import os
import os.path as osp
import zipfile
from typing import Iterable, Optional, Sequence, Tuple

import numpy as np

from .png_fast import decode_png_mask
from .rle import decode_rle


#: PNG colour types (IHDR byte 25): 0 grey, 2 RGB, 3 palette, 4 grey+alpha,
#: 6 RGBA.
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_PNG_PALETTE = 3


def _png_error(path: str, reason) -> ValueError:
    return ValueError(
        f'cannot read mask PNG {path} ({reason}); re-export it as a '
        'single-channel PNG (0 = background, non-zero = object).')


def read_mask_png(path: str) -> np.ndarray:
    """Read a mask PNG as a bool (H, W) array (non-zero = foreground).

    Decoded once, the cheapest exact way (measured in
    ``docs/decisions/evaluation.md``): 8-bit grey and palette PNGs by
    :func:`~.png_fast.decode_png_mask` (libdeflate + numpy on the bounding
    rows only); other grey / RGB(A) PNGs by OpenCV from the file's bytes,
    other palette PNGs by PIL, because the palette *index* counts and
    OpenCV would expand it to colours. The file is read once.

    Args:
        path (str): PNG file.

    Returns:
        np.ndarray: bool mask (H, W).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file cannot be decoded as an image.
    """
    import cv2
    if not osp.isfile(path):
        raise FileNotFoundError(f'mask file not found: {path}')
    with open(path, 'rb') as f:
        data = f.read()
    fast = decode_png_mask(data)
    if fast is not None:
        return fast
    if data[:8] == _PNG_SIGNATURE and len(data) > 25 and \
            data[25] != _PNG_PALETTE:
        array = cv2.imdecode(np.frombuffer(data, np.uint8),
                             cv2.IMREAD_UNCHANGED)
        if array is None:
            raise _png_error(path, 'OpenCV cannot decode it: truncated or '
                             'corrupt')
        if array.ndim == 3:  # BGR / BGRA (grey+alpha comes as BGRA)
            array = array[..., :3].any(axis=2)
            return array
        return array != 0
    return _read_with_pil(path, data)


def _read_with_pil(path: str, data: bytes) -> np.ndarray:
    """Palette PNGs and anything that is not a PNG (PIL decides)."""
    import io

    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            mode = image.mode
            array = np.asarray(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise _png_error(path, err) from err
    if array.ndim == 3:
        keep = {'LA': 1, 'PA': 1, 'RGBA': 3}.get(mode, array.shape[2])
        array = array[..., :keep].any(axis=2)
    if array.ndim != 2:
        raise ValueError(f'mask PNG {path} has unexpected shape '
                         f'{array.shape}; expected (H, W) or (H, W, C).')
    return array != 0


def write_mask_png(path: str, mask: np.ndarray) -> None:
    """Write a mask as a single-channel 0/255 uint8 PNG (parents created).

    Args:
        path (str): Output file (``.png``).
        mask (np.ndarray): (H, W) mask, non-zero = foreground.
    """
    import cv2
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'cannot write {path}: mask must be (H, W), got '
                         f'{mask.shape}.')
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    image = np.where(mask != 0, 255, 0).astype(np.uint8)
    if not cv2.imwrite(path, image):
        raise OSError(f'cv2.imwrite failed to write {path}: check that the '
                      'folder is writable and the name ends with .png.')


def decode_rle_union(rles: Sequence[Optional[dict]],
                     shape: Optional[Tuple[int, int]] = None,
                     source: str = '<rle>') -> np.ndarray:
    """Union of the COCO RLE masks of one frame (None = object absent).

    Every RLE goes through the checked :func:`~.rle.decode_rle`.

    Args:
        rles (Sequence[dict | None]): One RLE per object (``size`` [H, W]
            and ``counts``), or None when the object is absent in the frame.
        shape (tuple[int, int], optional): Expected (H, W); required when
            every entry is None.
        source (str): Where the RLEs come from (for error messages).

    Returns:
        np.ndarray: bool mask (H, W), all False when every entry is None.
    """
    union = None if shape is None else np.zeros(shape, dtype=bool)
    for index, rle in enumerate(rles):
        if rle is None:
            continue
        mask = decode_rle(rle, source=f'{source}, object {index}',
                          expected_hw=None if union is None else union.shape)
        if union is None:
            union = mask
        else:
            union |= mask
    if union is None:
        raise ValueError(f'every RLE of the frame in {source} is null and '
                         'no frame shape was given.')
    return union


def zip_folder(folder: str,
               zip_path: str,
               arc_prefix: str = '',
               files: Optional[Iterable[str]] = None) -> str:
    """Zip a submission folder.

    Args:
        folder (str): Folder whose content is zipped (e.g. the folder holding
            ``<video>/<exp_id>/<frame>.png``).
        zip_path (str): Output zip file.
        arc_prefix (str): Folder name prepended inside the archive, e.g.
            ``'Annotations'`` for Ref-YouTube-VOS; ``''`` puts the video
            folders at the top level (MeViS).
        files (Iterable[str], optional): Relative paths to include; all files
            under ``folder`` by default.

    Returns:
        str: ``zip_path``.
    """
    if files is None:
        files = []
        for root, _, names in os.walk(folder):
            for name in names:
                files.append(osp.relpath(osp.join(root, name), folder))
    os.makedirs(osp.dirname(osp.abspath(zip_path)), exist_ok=True)
    with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as archive:
        for rel in sorted(files):
            archive.write(osp.join(folder, rel), osp.join(arc_prefix, rel))
    return zip_path
