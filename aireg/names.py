"""Names: canonical product keys, purpose-text similarity and id slugs; pure stdlib."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from aireg.records import ID_MAX

__all__ = [
    "is_known_product",
    "normalize_product",
    "product_display_name",
    "product_vendor",
    "purpose_tokens",
    "similarity",
    "slugify",
]

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_WS = re.compile(r"\s+")


_MARKS = str.maketrans("", "", "\u00ae\u00a9\u2122\u2120")  # ® © ™ ℠: NFKD spells ™ as "TM"


def _fold(text: str) -> str:
    """Lowercase ASCII: trademark signs dropped, accents folded away."""
    folded = unicodedata.normalize("NFKD", text.translate(_MARKS))
    return folded.encode("ascii", "ignore").decode("ascii").lower()


# ---------------------------------------------------------------- slugs


def slugify(text: str, max_len: int = ID_MAX) -> str:
    """An id matching ``^[a-z0-9]+(-[a-z0-9]+)*$``, at most `max_len` characters.

    Accents are folded to ASCII, every other run of non-alphanumerics becomes one hyphen, and
    a long slug is cut at a hyphen so no word is left half-written (a single word longer than
    `max_len` is cut hard). Text with nothing to keep gives ``tool``.
    """
    slug = _NON_ALNUM.sub("-", _fold(text)).strip("-")
    if len(slug) > max_len:
        cut = slug[:max_len]
        if slug[max_len] != "-" and "-" in cut:
            cut = cut.rsplit("-", 1)[0]
        slug = cut.strip("-")
    return slug or "tool"


# ---------------------------------------------------------------- product names

# Spellings that are one word to a human but two (or a typo) to a tokenizer. Applied to the
# token list before anything else; keys are space-joined token sequences.
_PHRASES: dict[str, str] = {
    "co pilot": "copilot",
    "chat gpt": "chatgpt",
    "open ai": "openai",
    "service now": "servicenow",
    "git hub": "github",
    "notebook lm": "notebooklm",
    "notebook llm": "notebooklm",
    "office 365": "microsoft 365",
    "amazon web services": "aws",
    "power automate": "powerautomate",
    "sales force": "salesforce",
    "crowd strike": "crowdstrike",
    "relativity one": "relativityone",
    "splunk clowd": "splunk cloud",
    "otter ai": "otter",
    "reclaim ai": "reclaim",
}
_MAX_PHRASE = max(len(p.split()) for p in _PHRASES)

# One token standing for others: vendor abbreviations and typos seen in real inventories.
_TOKENS: dict[str, tuple[str, ...]] = {
    "ms": ("microsoft",),
    "m365": ("microsoft", "365"),
    "o365": ("microsoft", "365"),
    "microsoft365": ("microsoft", "365"),
    "amazon": ("aws",),
    "googel": ("google",),
    "googla": ("google",),
    "plantir": ("palantir",),
    "purvue": ("purview",),
    "iphones": ("iphone",),
    "splunkcloud": ("splunk", "cloud"),
    "relativityone": ("relativity", "one"),
    "powerautomate": ("power", "automate"),
}

# Words that name the company form or nothing at all.
_DROP = frozenset({"the", "inc", "llc", "corp", "corporation", "ltd", "limited", "plc", "gmbh"})
_VERSION = re.compile(r"^(v?\d+(\.\d+)+|v\d+|\d{1,2}|(19|20)\d\d)$")


@dataclass(frozen=True)
class _Family:
    """A well-known product: every spelling whose words are `required` plus only `allowed` ones."""

    key: str
    display: str | None  # None: keep the spelling the source used
    vendor: str
    required: frozenset[str]
    allowed: frozenset[str]


def _fam(key: str, display: str | None, vendor: str, required: str, allowed: str = "") -> _Family:
    return _Family(key, display, vendor, frozenset(required.split()), frozenset(allowed.split()))


_MS = "microsoft 365 office for ai gcc gov government"
# Order matters: the first family that fits wins, so the specific ones come first. GitHub
# Copilot, Security Copilot, Copilot Studio, Copilot Chat, Microsoft 365 Copilot and
# Microsoft Copilot are distinct products and licences (GitHub's is always called GitHub
# Copilot).
_FAMILIES: tuple[_Family, ...] = (
    _fam(
        "github copilot",
        "GitHub Copilot",
        "GitHub",
        "github copilot",
        "for visual studio vs code business enterprise ai",
    ),
    _fam(
        "microsoft security copilot",
        "Microsoft Security Copilot",
        "Microsoft",
        "security copilot",
        _MS,
    ),
    _fam(
        "microsoft copilot studio", "Microsoft Copilot Studio", "Microsoft", "copilot studio", _MS
    ),
    _fam("microsoft copilot chat", "Microsoft 365 Copilot Chat", "Microsoft", "copilot chat", _MS),
    # Microsoft 365 Copilot (the licence in Word, Outlook, Teams) and Microsoft Copilot (the
    # chat assistant) are different products with different data terms: a name is one of
    # them only when it says so ("365", "Office 365", "M365"); a bare "Copilot" is the latter.
    _fam("microsoft 365 copilot", "Microsoft 365 Copilot", "Microsoft", "copilot 365", _MS),
    _fam("microsoft copilot", "Microsoft Copilot", "Microsoft", "copilot",
         "microsoft ai gcc gov government"),
    _fam(
        "microsoft azure openai",
        "Azure OpenAI Service",
        "Microsoft",
        "azure openai",
        "microsoft service",
    ),
    _fam(
        "microsoft azure ai foundry",
        "Azure AI Foundry",
        "Microsoft",
        "ai foundry",
        "azure microsoft",
    ),
    _fam(
        "microsoft ai builder",
        "Microsoft AI Builder",
        "Microsoft",
        "ai builder",
        "microsoft power automate",
    ),
    _fam(
        "microsoft power automate",
        "Microsoft Power Automate",
        "Microsoft",
        "power automate",
        "microsoft",
    ),
    _fam("microsoft power bi", "Microsoft Power BI", "Microsoft", "power bi", "microsoft"),
    _fam(
        "microsoft defender",
        "Microsoft Defender",
        "Microsoft",
        "defender",
        "microsoft xdr for endpoint 365",
    ),
    _fam("microsoft purview", "Microsoft Purview", "Microsoft", "purview", "microsoft"),
    _fam(
        "microsoft teams premium",
        "Microsoft Teams Premium",
        "Microsoft",
        "teams premium",
        "microsoft with intelligent meeting meetings recap features",
    ),
    _fam("microsoft teams", "Microsoft Teams", "Microsoft", "teams", "microsoft"),
    _fam(
        "openai chatgpt", "ChatGPT", "OpenAI", "chatgpt", "openai enterprise edu team plus pro gov"
    ),
    _fam("openai codex", "OpenAI Codex", "OpenAI", "codex", "openai"),
    _fam("openai dall e", "DALL-E", "OpenAI", "dall e", "openai"),
    _fam("anthropic claude code", "Claude Code", "Anthropic", "claude code", "anthropic"),
    _fam("anthropic claude", "Claude", "Anthropic", "claude", "anthropic ai enterprise pro gov"),
    _fam(
        "google gemini",
        "Google Gemini",
        "Google",
        "gemini",
        "google for workspace advanced app apps enterprise",
    ),
    _fam("google notebooklm", "NotebookLM", "Google", "notebooklm", "google plus enterprise"),
    _fam("google maps", "Google Maps", "Google", "google maps"),
    _fam("google news brief", "Google News Brief", "Google", "google news brief"),
    _fam("google lens", "Google Lens", "Google", "lens", "google"),
    _fam("apple maps", "Apple Maps", "Apple", "apple maps"),
    _fam("apple iphone", "Apple iPhone", "Apple", "iphone", "apple"),
    _fam("adobe firefly", "Adobe Firefly", "Adobe", "firefly", "adobe"),
    _fam(
        "adobe acrobat ai assistant",
        "Adobe Acrobat AI Assistant",
        "Adobe",
        "acrobat assistant",
        "adobe ai",
    ),
    _fam(
        "adobe acrobat ai assistant",
        "Adobe Acrobat AI Assistant",
        "Adobe",
        "adobe assistant",
        "acrobat ai",
    ),
    _fam("grammarly", "Grammarly", "Grammarly", "grammarly", "business pro premium enterprise"),
    _fam("zoom ai companion", "Zoom AI Companion", "Zoom", "zoom companion", "ai"),
    _fam("servicenow", "ServiceNow", "ServiceNow", "servicenow", "now assist"),
    _fam(
        "salesforce einstein",
        "Salesforce Einstein",
        "Salesforce",
        "einstein",
        "salesforce gpt copilot",
    ),
    _fam(
        "salesforce agentforce", "Salesforce Agentforce", "Salesforce", "agentforce", "salesforce"
    ),
    _fam("perplexity", "Perplexity", "Perplexity AI", "perplexity", "ai pro enterprise"),
    _fam("xai grok", "Grok", "xAI", "grok", "xai"),
    _fam("aws bedrock", "Amazon Bedrock", "Amazon Web Services", "bedrock", "aws"),
    _fam("aws q", "Amazon Q", "Amazon Web Services", "aws q", "developer business"),
    _fam(
        "crowdstrike falcon",
        "CrowdStrike Falcon",
        "CrowdStrike",
        "crowdstrike",
        "falcon edr threat detection and response xdr insight",
    ),
    _fam(
        "crowdstrike falcon",
        "CrowdStrike Falcon",
        "CrowdStrike",
        "falcon",
        "edr threat detection and response xdr insight",
    ),
    _fam("sap concur", "SAP Concur", "SAP", "concur", "sap"),
    _fam("sprout social", "Sprout Social", "Sprout Social", "sprout", "social"),
    _fam("splunk cloud", "Splunk Cloud", "Splunk", "splunk cloud"),
    _fam("relativity one", "RelativityOne", "Relativity", "relativity one"),
    _fam("palantir foundry", "Palantir Foundry", "Palantir", "palantir foundry"),
    _fam("tableau", "Tableau", "Salesforce", "tableau", "ai enterprise visualization"),
    _fam("thomson reuters westlaw", "Westlaw", "Thomson Reuters", "westlaw", "thomson reuters"),
    _fam("vyond", "Vyond", "Vyond", "vyond", "for government"),
    _fam("otter", "Otter.ai", "Otter.ai", "otter", "ai"),
    _fam("reclaim", "Reclaim.ai", "Reclaim.ai", "reclaim", "ai"),
)

# A product whose name starts with its maker's name: the maker is the vendor.
_VENDOR_PREFIX: dict[str, str] = {
    "microsoft": "Microsoft",
    "azure": "Microsoft",
    "google": "Google",
    "adobe": "Adobe",
    "apple": "Apple",
    "aws": "Amazon Web Services",
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "salesforce": "Salesforce",
    "servicenow": "ServiceNow",
    "github": "GitHub",
    "splunk": "Splunk",
    "palantir": "Palantir",
    "ibm": "IBM",
    "oracle": "Oracle",
    "sap": "SAP",
    "zoom": "Zoom",
    "crowdstrike": "CrowdStrike",
    "meta": "Meta",
    "nvidia": "NVIDIA",
    "relativity": "Relativity",
}


@lru_cache(maxsize=8192)
def _product(name: str) -> tuple[str, _Family | None]:
    """The canonical token key of a product name and the well-known family it belongs to."""
    raw = _NON_ALNUM.sub(" ", _fold(name)).split()
    tokens: list[str] = []
    i = 0
    while i < len(raw):
        for n in range(min(_MAX_PHRASE, len(raw) - i), 1, -1):
            joined = _PHRASES.get(" ".join(raw[i : i + n]))
            if joined is not None:
                tokens.extend(joined.split())
                i += n
                break
        else:
            tokens.extend(_TOKENS.get(raw[i], (raw[i],)))
            i += 1
    # Corporate forms, "the" and version numbers say nothing about which product it is.
    # "365" survives: it is part of a name, not a version.
    kept = [t for t in tokens if t not in _DROP and not _VERSION.match(t)]
    words = set(kept)
    for family in _FAMILIES:
        if family.required <= words and words <= family.required | family.allowed:
            return family.key, family
    return " ".join(kept), None


def normalize_product(name: str) -> str:
    """A canonical key for a vendor or product name, so spelling variants meet.

    Case, accents, punctuation, ®/™, corporate suffixes (Inc., LLC, Corp., Ltd), "the" and
    version numbers are ignored; a small alias table merges well-known families: "M365
    Copilot", "Office 365 Copilot" and "Copilot for Microsoft 365" all give ``microsoft 365
    copilot``; "Microsoft Copilot" and "MS Copilot" give ``microsoft copilot``, a different
    product; "GitHub Copilot" gives ``github copilot``. Empty when the
    name holds nothing but such noise.
    """
    return _product(name)[0]


def product_display_name(name: str) -> str:
    """How to show a product: the family's usual name when it is well known, else the spelling
    given with its whitespace collapsed and stray separators trimmed."""
    family = _product(name)[1]
    if family is not None and family.display is not None:
        return family.display
    return _WS.sub(" ", name).strip(" ,;:/-&+")


def is_known_product(name: str) -> bool:
    """Whether the name is a well-known product, or starts with its maker's name (so it names
    a product, not a kind of use such as "ChatBot" or "Language Translation")."""
    return product_vendor(name) is not None


def product_vendor(name: str) -> str | None:
    """The maker of a product when its name says it (a known family, or a name beginning with
    the maker's name), else None: never a guess."""
    key, family = _product(name)
    if family is not None:
        return family.vendor
    first = key.split(" ", 1)[0] if key else ""
    return _VENDOR_PREFIX.get(first)


# ---------------------------------------------------------------- purpose similarity

_STOP_WORDS = """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each etc
    few for from further had has have having he her here hers him his how i if in into is it
    its itself just may me might more most must my no nor not now of off on once only or other
    our ours out over own per same she should so some such than that the their theirs them then
    there these they this those through to too under until up upon us very via was we were what
    when where which while who whom why will with within without would you your yours
    ai artificial intelligence use used uses using tool tools"""
_STOP = frozenset(_STOP_WORDS.split())
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("izations", "ize"),
    ("ization", "ize"),
    ("ational", "ate"),
    ("ations", "ate"),
    ("ation", "ate"),
    ("ments", ""),
    ("ment", ""),
    ("ness", ""),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ers", ""),
    ("er", ""),
    ("ed", ""),
    ("es", ""),
    ("ly", ""),
    ("s", ""),
)
_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    """A light, deterministic suffix strip: enough for "summarizing" to meet "summarize"."""
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + repl
            break
    # "summarize"/"summariz", "generate"/"generat": a trailing e is noise after stripping.
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


@lru_cache(maxsize=65536)
def purpose_tokens(text: str) -> frozenset[str]:
    """The stemmed, stop-word-free words of a purpose text (cached: reports compare many pairs)."""
    words = _WORD.findall(_fold(text))
    return frozenset(_stem(w) for w in words if w not in _STOP and not w.isdigit())


def similarity(a: str, b: str) -> float:
    """How alike two purpose texts are: the Jaccard index of their stemmed, stop-word-free word
    sets, from 0.0 (nothing shared, or either empty) to 1.0 (the same words)."""
    ta, tb = purpose_tokens(a), purpose_tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)
