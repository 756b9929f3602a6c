"""Expression text and frame-list checks shared by the dataset readers."""
import unicodedata
from typing import Any, List

# Unicode categories that print nothing: format characters (zero-width
# space/joiners, BOM, soft hyphen) and control characters.
_INVISIBLE = ('Cf', 'Cc')


def normalize_expression(text: str) -> str:
    """Drop invisible characters and strip; internal spacing is kept.

    Whitespace (``\\t``, ``\\n``, spaces) is kept for ``str.strip``/``split``
    to handle; zero-width spaces (U+200B), joiners, BOM (U+FEFF), soft
    hyphens and control characters are removed.

    Args:
        text (str): Raw expression.

    Returns:
        str: The visible text; empty when nothing visible is left.
    """
    kept = ''.join(
        ch for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE)
    return kept.strip()


def frame_name_list(value: Any, source: str, item: str,
                    error_cls=ValueError) -> List[str]:
    """Validate a video's ``"frames"`` entry.

    Args:
        value: The JSON value (must be a non-empty list of unique strings,
            the file names without extension, e.g. ``["00000", "00005"]``).
        source (str): The file, for the message.
        item (str): The video, for the message.
        error_cls (type): Exception class raised.

    Returns:
        list[str]: The frame names.

    Raises:
        error_cls: Naming ``source``, ``item``, what is wrong and the fix.
    """
    fix = ('"frames" must be a list of frame file names without extension, '
           'e.g. ["00000", "00005"]')
    if isinstance(value, str):
        raise error_cls(
            f'{source}: {item}: "frames" is the string {value!r}, not a '
            f'list; {fix} (a string would be read one character per '
            'frame).')
    if not isinstance(value, (list, tuple)):
        raise error_cls(f'{source}: {item}: "frames" is '
                        f'{type(value).__name__} {value!r}; {fix}.')
    if not value:
        raise error_cls(f'{source}: {item} has an empty "frames" list; '
                        f'{fix}, or remove the video.')
    bad = [v for v in value if not isinstance(v, str) or not v.strip()]
    if bad:
        raise error_cls(
            f'{source}: {item}: "frames" has non-string or empty entries '
            f'{bad[:3]!r}; {fix} (numbers lose leading zeros).')
    if len(set(value)) != len(value):
        dup = sorted({v for v in value if value.count(v) > 1})[:3]
        raise error_cls(f'{source}: {item}: "frames" lists {dup} more than '
                        'once; each frame must appear once.')
    return [str(v) for v in value]
