"""Text utilities used by geometric transforms."""
import re

_LEFT_RIGHT = re.compile(r'\b(left|right|leftmost|rightmost|lefter|righter)\b',
                         re.IGNORECASE)
_SWAP = {
    'left': 'right',
    'right': 'left',
    'leftmost': 'rightmost',
    'rightmost': 'leftmost',
    'lefter': 'righter',
    'righter': 'lefter'
}


def swap_left_right(text: str) -> str:
    """Swap the words left/right (and -most forms), keeping the case.

    This is what the official WSRVOS code does when a clip is flipped
    horizontally, so that "the dog on the left" still refers to the dog.

    Args:
        text (str): An expression.

    Returns:
        str: The expression with left and right exchanged.
    """

    def repl(match):
        word = match.group(0)
        new = _SWAP[word.lower()]
        if word.isupper():
            return new.upper()
        if word[0].isupper():
            return new.capitalize()
        return new

    return _LEFT_RIGHT.sub(repl, text)
