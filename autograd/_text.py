"""Text the outputs can hold: control characters are refused in names and escaped in labels."""

from __future__ import annotations

import re

# C0 and C1 control characters, DEL, lone surrogates (UTF-8 cannot encode them) and the two
# characters XML forbids: none of them can be shown, and NUL stops Graphviz.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def check_printable(text: str, what: str) -> None:
    """Raise ValueError if text holds a control character, a newline among them."""
    found = _CONTROL.search(text)
    if found is not None:
        raise ValueError(f"{what} must not hold control characters such as "
                         f"{found[0]!a}, got {text!r:.80}")


def visible(text: str) -> str:
    """text with every control character but the newline written as its escape (\\x00, \\t)."""
    return _CONTROL.sub(lambda found: found[0] if found[0] == "\n" else ascii(found[0])[1:-1],
                        text)
