"""Text safe to print to a terminal: no escape sequences from reports, names or answers.

A report title can carry ``ESC ] 8 ;; http://evil ESC \\`` (OSC 8: a clickable link in many
terminals), colour codes, cursor moves or a bell. Every sequence and every control character
except ``\\n`` and ``\\t`` is removed, C0, DEL and C1 (``\\x9b`` is a one-byte CSI) alike:

    >>> printable("Kim\\x1b[31m said\\x1b]8;;http://e.invalid\\x1b\\\\ so\\x07\\r.\\n")
    'Kim said so.\\n'
"""

from __future__ import annotations

import re

# ESC sequences: OSC/DCS/APC/PM/SOS strings up to BEL or ST, CSI with parameters, and
# two-character escapes; the same introduced by C1 bytes; then any other control character.
_SEQUENCES = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]",
    re.DOTALL,
)


def printable(text: str) -> str:
    """``text`` without terminal escape sequences or control characters (``\\n``, ``\\t`` kept)."""
    return _SEQUENCES.sub("", text)


_INTRODUCERS = "\x1b\x90\x98\x9b\x9d\x9e\x9f"
_COMPLETE = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c)"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b[ -/]*[0-Z\\`-~]",
    re.DOTALL,
)


class TerminalStream:
    """``printable`` for text that arrives in pieces: an escape sequence split across two
    pieces (``"\\x1b"`` then ``"[31m"``) is held back until it is complete, then removed.

        >>> t = TerminalStream()
        >>> [t.feed(p) for p in ["near ", "\x1b", "[31mKursk"]] + [t.flush()]
        ['near ', '', 'Kursk', '']
    """

    def __init__(self, hold: int = 4096) -> None:
        self.pending = ""
        self.hold = hold  # longest sequence held back; beyond it, everything is stripped

    def feed(self, piece: str) -> str:
        text = self.pending + piece
        self.pending = ""
        last = max(text.rfind(c) for c in _INTRODUCERS)
        if last != -1 and len(text) - last <= self.hold and not _COMPLETE.match(text, last):
            text, self.pending = text[:last], text[last:]
        return printable(text)

    def flush(self) -> str:
        text, self.pending = self.pending, ""
        return printable(text)
