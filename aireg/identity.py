"""Who a person is: e-mail addresses compared after NFKC and case folding, invisible text refused.

The history rules and the record rules compare people by e-mail (SPEC section 4). Two texts
that look alike must be one person, and two people must never look alike: an address is
compared as its NFKC normal form, stripped and lower-cased, and an address (in a commit,
``owner``, a review's ``by`` or the config's lists) holding an invisible or format character
(Unicode category Cf, such as U+200B), a control character, or text that NFKC would change is
refused outright, so ``cto@acme.example`` followed by a zero-width space is never someone else.
Pure: no I/O.
"""

from __future__ import annotations

import functools
import unicodedata

from aireg.trailers import shown


def normal(email: object) -> str:
    """The form two addresses are compared in ("" for a non-text value): NFKC, stripped,
    lower-cased, and control or bidirectional characters escaped as in aireg.trailers.shown,
    so the form is also safe to print."""
    if not isinstance(email, str):
        return ""
    return _normal(email)


@functools.lru_cache(maxsize=8192)
def _normal(email: str) -> str:
    if email.isascii():
        return shown(email.strip().lower())  # NFKC leaves ASCII as it is
    return shown(unicodedata.normalize("NFKC", email).strip().lower())


_INVISIBLE = frozenset({"Cf", "Cc", "Zl", "Zp", "Zs", "Mn", "Me"})


def problem(text: object, *, nfkc: bool = True) -> str | None:
    """Why `text` cannot name a person (None: it can): an invisible, format, control, space
    or combining character anywhere in it, or (with `nfkc`, for what a record or the config
    writes) text that NFKC would change. A commit's author address is compared in its NFKC
    form, so only invisible text is refused there (nfkc=False)."""
    if not isinstance(text, str):
        return None
    for ch in text:
        if unicodedata.category(ch) in _INVISIBLE:
            return (f"it holds the invisible character U+{ord(ch):04X} "
                    f"({unicodedata.name(ch, 'unnamed')})")
    if nfkc and unicodedata.normalize("NFKC", text) != text:
        return "it is not in Unicode NFKC form (a look-alike of another address)"
    return None
