"""The report every checkpoint converter prints: mapped, unused and missing
keys (MMDetection's converter convention: nothing is dropped silently).
"""
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Tuple


class ConversionError(ValueError):
    """A converted checkpoint is incomplete or its source has keys no rule
    knows. The message names the keys and the fix."""


@dataclass
class KeyReport:
    """What a conversion did with every key.

    Attributes:
        source (str): the file or folder converted (named in errors).
        mapped (list[tuple[str, str]]): ``(source key, target key)`` pairs; a
            source key split into several targets appears once per target.
        unused (list[str]): source keys no rule maps (unexpected keys).
        ignored (list[str]): source keys deliberately dropped, with a reason
            in ``ignored_reason`` (e.g. buffers the target recomputes).
        missing (list[str]): target keys no source key filled.
    """
    source: str
    mapped: List[Tuple[str, str]] = field(default_factory=list)
    unused: List[str] = field(default_factory=list)
    ignored: List[str] = field(default_factory=list)
    ignored_reason: Dict[str, str] = field(default_factory=dict)
    missing: List[str] = field(default_factory=list)

    def ignore(self, key: str, reason: str) -> None:
        self.ignored.append(key)
        self.ignored_reason[key] = reason

    def set_missing(self, expected: Iterable[str],
                    produced: Iterable[str]) -> None:
        """Record the target keys in ``expected`` that ``produced`` lacks."""
        produced = set(produced)
        self.missing = sorted(k for k in expected if k not in produced)

    def format(self, max_keys: int = 20) -> str:
        """Human-readable summary (counts, then the keys of each problem)."""
        lines = [f'Conversion report for {self.source}:',
                 f'  mapped:  {len(self.mapped)} tensors',
                 f'  ignored: {len(self.ignored)} source keys',
                 f'  unused:  {len(self.unused)} source keys (unexpected)',
                 f'  missing: {len(self.missing)} target keys']
        for key in self.ignored[:max_keys]:
            lines.append(f'    ignored {key}: {self.ignored_reason[key]}')
        for title, keys in (('unused', self.unused),
                            ('missing', self.missing)):
            for key in keys[:max_keys]:
                lines.append(f'    {title} {key}')
            if len(keys) > max_keys:
                lines.append(f'    ... {len(keys) - max_keys} more {title}')
        return '\n'.join(lines)

    def check(self, allow_unused: bool = False) -> None:
        """Raise :class:`ConversionError` on missing keys, and on unused keys
        unless ``allow_unused``."""
        if self.missing:
            raise ConversionError(
                f'{self.source}: {len(self.missing)} target keys are missing '
                f'from the converted checkpoint (first: {self.missing[:5]}). '
                'The source is incomplete or of another architecture/size '
                'than its config says; re-download it.')
        if self.unused and not allow_unused:
            raise ConversionError(
                f'{self.source}: {len(self.unused)} source keys are unexpected '
                f'and no conversion rule maps them (first: {self.unused[:5]}). '
                'Check that the checkpoint is the one this converter is for; '
                'pass --allow-unused (allow_unused=True) to drop them '
                'knowingly.')
