"""The one COCO RLE decoder and encoder of the project (checked, no torch).

Every reader of COCO run-length encodings (``mask_dict.json`` of
MeViS / InterRVOS / the synthetic set, the ``results.json`` of the official
InterRVOS/Sa2VA evaluation, the metrics that keep predictions as RLE, the
dataset converters) calls :func:`decode_rle`; every writer calls
:func:`encode_rle`. pycocotools' own ``decode`` does **not** check that the
runs add up to ``H * W``: a short RLE leaves uninitialised memory in the mask
(it then becomes ground truth or a prediction) and a long one writes past the
buffer. :func:`decode_rle` parses and checks the runs first and raises a
``ValueError`` naming the file and item (``source``) and the fix.

COCO RLE (pycocotools ``maskApi.c``): ``{"size": [H, W], "counts": ...}``,
runs over the mask in column-major (Fortran) order, starting with a run of
zeros. ``counts`` is either a list of ints (uncompressed) or the compressed
string: each run is written as 5-bit groups, low first, as characters
``chr(48 + group)`` with bit ``0x20`` = "more groups follow" and bit ``0x10``
of the last group = sign; from the fourth run on, the value stored is the
difference to the run two places earlier.

This module imports only numpy (pycocotools for encoding); it is safe to use
from the light evaluation CLIs.
"""
from typing import Optional, Sequence, Tuple

import numpy as np

_FIX = ('re-export the mask with pycocotools.mask.encode on the '
        'Fortran-ordered (H, W) uint8 mask (counts as str).')


def _rle_error(source: str, what: str) -> ValueError:
    return ValueError(f'invalid COCO RLE in {source}: {what}; {_FIX}')


def rle_size(rle, *, source: str) -> Tuple[int, int]:
    """The declared ``(H, W)`` of an RLE dict, checked.

    Args:
        rle (dict): COCO RLE with ``size`` ``[H, W]``.
        source (str): File and item, for error messages.

    Returns:
        tuple[int, int]: (H, W), both >= 0.

    Raises:
        ValueError: not a dict with a two-integer ``size`` and ``counts``.
    """
    if not isinstance(rle, dict) or 'size' not in rle or 'counts' not in rle:
        raise _rle_error(source, 'expected a dict with "size" [H, W] and '
                         f'"counts", got {rle!r:.80}')
    size = rle['size']
    if (not isinstance(size, (list, tuple)) or len(size) != 2 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool)
            and v >= 0 for v in size)):
        raise _rle_error(source, f'"size" must be [H, W] with two '
                         f'non-negative integers, got {size!r:.80}')
    return int(size[0]), int(size[1])


def rle_runs(rle, *, source: str) -> np.ndarray:
    """Run lengths of an RLE (compressed or not), checked to be >= 0.

    The compressed string is parsed with vectorised numpy (same arithmetic
    as pycocotools' ``rleFrString``).

    Args:
        rle (dict): COCO RLE.
        source (str): File and item, for error messages.

    Returns:
        np.ndarray: int64 run lengths (R,), alternating 0-runs and 1-runs.

    Raises:
        ValueError: garbage characters, a truncated last run, a negative or
            non-integer run.
    """
    counts = rle['counts']
    if isinstance(counts, (list, tuple)):
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                   for v in counts):
            raise _rle_error(source, 'uncompressed "counts" must be a list '
                             'of integers')
        runs = np.asarray(counts, dtype=np.int64).reshape(-1)
    else:
        if isinstance(counts, str):
            try:
                counts = counts.encode('ascii')
            except UnicodeEncodeError:
                raise _rle_error(source, '"counts" has non-ASCII characters')
        if not isinstance(counts, (bytes, bytearray)):
            raise _rle_error(source, '"counts" must be a str, bytes or a '
                             f'list of ints, got {type(counts).__name__}')
        codes = np.frombuffer(counts, dtype=np.uint8).astype(np.int64) - 48
        if codes.size and (codes.min() < 0 or codes.max() > 63):
            bad = int(np.flatnonzero((codes < 0) | (codes > 63))[0])
            raise _rle_error(source, f'"counts" has the character '
                             f'{chr(int(codes[bad]) + 48)!r} at {bad}, '
                             'outside the COCO alphabet "0".."o"')
        last = (codes & 0x20) == 0  # the group that ends a run
        if codes.size and not last[-1]:
            raise _rle_error(source, '"counts" ends inside a run (the last '
                             'character has the continuation bit): truncated')
        if not codes.size:
            return np.zeros(0, np.int64)
        ends = np.flatnonzero(last)
        starts = np.concatenate(([0], ends[:-1] + 1))
        run_id = np.repeat(np.arange(len(ends)), ends - starts + 1)
        position = np.arange(codes.size) - starts[run_id]
        if position.max() > 12:
            raise _rle_error(source, '"counts" has a run of more than 13 '
                             'characters (over 64 bits)')
        values = np.zeros(len(ends), dtype=np.int64)
        np.add.at(values, run_id, (codes & 0x1f) << (5 * position))
        negative = (codes[ends] & 0x10) != 0
        values[negative] -= np.int64(1) << (5 * (position[ends][negative] + 1))
        # Delta coding: run m (m > 2) stores run[m] - run[m - 2].
        runs = values.copy()
        if len(runs) > 3:
            runs[3::2] = np.cumsum(values[3::2]) + values[1]
        if len(runs) > 4:
            runs[4::2] = np.cumsum(values[4::2]) + values[2]
    if runs.size and runs.min() < 0:
        raise _rle_error(source, f'negative run length {int(runs.min())}')
    return runs


def decode_rle(rle, *, source: str,
               expected_hw: Optional[Sequence[int]] = None) -> np.ndarray:
    """Decode one COCO RLE into a bool mask, with every size checked.

    The one RLE decoder of the project: checks that ``size`` is
    ``[H, W]``, that ``counts`` parses (compressed string or list of ints),
    that no run is negative, that **the runs add up to exactly H * W** and,
    when given, that ``(H, W) == expected_hw``; then expands the runs.

    Args:
        rle (dict): ``{"size": [H, W], "counts": str | bytes | list[int]}``.
        source (str): Where the RLE comes from, e.g.
            ``'mask_dict.json (anno_id 17, frame 3)'``; every error names it.
        expected_hw (Sequence[int], optional): The (H, W) the caller expects
            (e.g. the frame size or the GT size).

    Returns:
        np.ndarray: bool mask (H, W), C-contiguous.

    Raises:
        ValueError: malformed dict, garbage or truncated ``counts``,
            negative runs, runs summing to other than H * W, or a size
            other than ``expected_hw``; the message names ``source`` and
            how to fix the file.
    """
    height, width = rle_size(rle, source=source)
    if expected_hw is not None and (height, width) != tuple(
            int(v) for v in expected_hw):
        raise ValueError(
            f'RLE size {height}x{width} (HxW) in {source} differs from the '
            f'expected {int(expected_hw[0])}x{int(expected_hw[1])}: masks '
            'must be encoded at the original frame resolution; re-encode '
            'them at that size.')
    runs = rle_runs(rle, source=source)
    total = int(runs.sum())
    if total != height * width:
        raise _rle_error(
            source, f'the runs add up to {total} pixels but "size" '
            f'{height}x{width} has {height * width} (a '
            f'{"truncated" if total < height * width else "too long"} RLE or '
            'a wrong "size")')
    values = np.zeros(len(runs), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, runs)  # column-major pixels
    return np.ascontiguousarray(flat.reshape(width, height).T)


def encode_rle(mask: np.ndarray) -> dict:
    """COCO compressed RLE of a (H, W) mask, ``counts`` as ASCII str.

    The one RLE encoder of the project (pycocotools, the field's library):
    the result is what the MeViS / InterRVOS ``mask_dict.json`` and the
    official ``results.json`` hold and what :func:`decode_rle` reads back.

    Args:
        mask (np.ndarray): (H, W) mask, non-zero = foreground.

    Returns:
        dict: ``{'size': [H, W], 'counts': str}``.
    """
    from pycocotools import mask as mask_utils
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'encode_rle expects one (H, W) mask, got shape '
                         f'{mask.shape}.')
    rle = mask_utils.encode(np.asfortranarray(mask != 0, dtype=np.uint8))
    return {'size': [int(v) for v in rle['size']],
            'counts': rle['counts'].decode('ascii')}
