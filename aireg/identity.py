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

import unicodedata


def normal(email: object) -> str:
    """The form two addresses are compared in ("" for a non-text value)."""
    if not isinstance(email, str):
        return ""
    return unicodedata.normalize("NFKC", email).strip().lower()


def problem(text: object) -> str | None:
    """Why `text` cannot name a person (None: it can)."""
    if not isinstance(text, str):
        return None
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cc", "Zl", "Zp") or (cat == "Zs" and ch != " "):
            return (f"it holds the invisible character U+{ord(ch):04X} "
                    f"({unicodedata.name(ch, 'unnamed')})")
    if unicodedata.normalize("NFKC", text) != text:
        return "it is not in Unicode NFKC form (a look-alike of another address)"
    return None
