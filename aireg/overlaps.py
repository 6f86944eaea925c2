"""Overlaps: tools in different departments that share a product, a vendor or a purpose."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aireg import names, records
from aireg.records import Stage

# Similar purpose, tuned on the 3,611 purposes of the OMB 2025 use-case inventory. Plain
# Jaccard over every word matched boilerplate ("increased efficiency and productivity")
# across agencies at any threshold that found real pairs, so words used by more than
# COMMON_SHARE of all tools (at least COMMON_MIN tools) say nothing and are left out; then a
# pair needs MIN_SHARED informative words and a Jaccard index of at least
# PURPOSE_THRESHOLD. On that inventory this keeps 67 cross-agency pairs (redaction of
# body-camera video, licence-plate readers, coding survey answers, legal research, ...);
# 0.15 added 189 more, mostly two shared generic words.
PURPOSE_THRESHOLD = 0.2
MIN_SHARED = 3
COMMON_SHARE = 0.03
COMMON_MIN = 3

# Words that say nothing about WHICH problem a tool solves: the effort-and-benefit language
# of the inventory's most common words (used by more than 3% of its 3,611 purposes), hand-
# picked to leave out domain words that were common there (code, search, security, text),
# plus the units of time people measure effort in. Needed because a small registry has too
# few tools for the frequency rule above to learn them.
GENERIC_WORDS = """
    data improve time provide reduce identify information efficiency support manual system
    enhance enabling automated increased processing help need management process based users
    operational required staff high including allow benefits cost service create quality
    intended efficient faster resources making savings quickly assist case potential
    applications across large work effective tasks accuracy capabilities access ensure better
    project accurate effort currently program integrated problem agency related relevant
    mission significant solve understanding streamline accelerate new results workflows
    available consuming designed leveraging team solution product complex productivity focus
    ability purpose informed specific technology expected issues leads activities methods
    utilize outcomes additional organization aims challenges critical existing level various
    driven multiple like limited advanced areas determine make intensive perform consistent
    take takes took day days hour hours minute minutes week weeks month months year years
    first one two three four five ten fifty half each every less fewer same faster quicker
    give gives given giving see seen sees get gets getting go goes going know known want way
    ways thing things lot lots able also well etc including include includes included
    allows allowing allowed provides providing provided helps helping helped making makes
    made done doing does want wants needed needs using current currently often usually
    """

# The stages of deployed tools, and of tools still being evaluated.
DEPLOYED = frozenset({Stage.IMPACT.value, Stage.ACTIVE.value})
EVALUATING = frozenset({Stage.PURPOSE.value, Stage.USERS.value, Stage.PILOT.value,
                        Stage.SECURITY.value})


@dataclass(frozen=True)
class Member:
    """A tool as an overlap names it."""

    id: str
    name: str
    department: str
    stage: str
    owner: str
    decision: str | None = None  # the security review's decision, if one is recorded

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "department": self.department,
                "stage": self.stage, "owner": self.owner, "review": self.decision}


@dataclass(frozen=True)
class Overlap:
    """Tools in different departments that share a product, a vendor or a purpose."""

    kind: str  # product | vendor | purpose
    label: str
    tools: tuple[Member, ...]
    sentence: str
    similarity: float | None = None
    shared_words: tuple[str, ...] = ()

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.department for m in self.tools))

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "label": self.label, "departments": list(self.departments),
            "tools": [m.as_dict() for m in self.tools],
            "similarity": None if self.similarity is None else round(self.similarity, 3),
            "shared_words": list(self.shared_words), "sentence": self.sentence,
        }


_s = records.as_text


def _member(r: Mapping[str, Any]) -> Member:
    sec = r.get("security") if isinstance(r.get("security"), Mapping) else {}
    assert isinstance(sec, Mapping)
    review = sec.get("review") if isinstance(sec.get("review"), Mapping) else {}
    assert isinstance(review, Mapping)
    decision = review.get("decision")
    return Member(_s(r.get("id")), _s(r.get("name")), _s(r.get("department")),
                  _s(r.get("stage")), _s(r.get("owner")),
                  decision if isinstance(decision, str) else None)


def _join(items: Sequence[str], limit: int = 6) -> str:
    items = list(items)
    if len(items) > limit:
        items = [*items[:limit - 1], f"{len(items) - limit + 1} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _depts(members: Iterable[Member]) -> list[str]:
    return list(dict.fromkeys(m.department for m in members))


def _with_ids(members: Sequence[Member]) -> str:
    """Each department with its tool, or how many it has: "sales (sales-copilot, pilot)"."""
    per: dict[str, list[Member]] = defaultdict(list)
    for m in members:
        per[m.department].append(m)
    return _join([f"{d} ({ms[0].id}, {ms[0].stage})" if len(ms) == 1 else f"{d} ({len(ms)} tools)"
                  for d, ms in per.items()])


_ORDER = {s: n for n, s in enumerate(("active", "impact", "security", "pilot", "users",
                                      "purpose", "rejected", "retired"))}


def _sorted(members: Iterable[Member]) -> tuple[Member, ...]:
    """The most advanced first: the team further along is the one others learn from."""
    return tuple(sorted(members, key=lambda m: (_ORDER.get(m.stage, 99), m.department, m.id)))


def _product_sentence(label: str, members: Sequence[Member], vendor: str = "") -> str:
    """Why teams with one product should talk. Reusing a review is said only for the same
    product from the same vendor (a security claim the CAIO does not make otherwise)."""
    depts = _depts(members)
    who = _join(depts)
    both = "both" if len(depts) == 2 else "all"
    # Only a recorded approval is called one: imported tools can be deployed with no review.
    approved = [m for m in members if m.stage in DEPLOYED and m.decision == "approved"]
    deployed = [m for m in members if m.stage in DEPLOYED]
    behind = [m for m in members if m.stage in EVALUATING]
    refused = [m for m in members if m.stage == Stage.REJECTED.value]
    live = [m for m in members if m.stage != Stage.REJECTED.value]
    if refused and live:
        by_review = all(m.decision == "rejected" for m in refused)
        how = "its security review rejected it for" if by_review else "it was dropped by"
        return (f"{who} should talk: they {both} chose {label}, and {how} "
                f"{_with_ids(refused)}; the others should hear why before they go further.")
    if approved and behind and vendor:
        return (f"{who} should talk: they {both} chose {label} from {vendor}, and "
                f"{_with_ids(approved)} already passed its security review, so "
                f"{_with_ids(behind)} can ask the security reviewers to reuse that review and "
                "its pilot findings for their use.")
    if approved and behind:
        return (f"{who} should talk: they {both} chose {label}, and {_with_ids(approved)} "
                f"already passed a security review of it; {_with_ids(behind)} can learn from "
                "that experience (the vendor is not recorded, so it may not be the same "
                "product).")
    if not live:
        return (f"{who} should talk: {label} was turned down for each of them "
                f"({_with_ids(refused)}), so whoever considers it next can hear why first.")
    if deployed and behind:
        return (f"{who} should talk: they {both} chose {label}, and {_with_ids(deployed)} "
                f"already {'uses' if len(_depts(deployed)) == 1 else 'use'} it, so "
                f"{_with_ids(behind)} can learn from their experience "
                "before going further.")
    if deployed:
        return (f"{who} should talk: they {both} use {label}, so they can share licences, "
                "measurements and what each has learned.")
    return (f"{who} should talk: they are {both} evaluating {label}, so one pilot and one "
            "security review could serve them all.")


def _vendor_sentence(label: str, members: Sequence[Member]) -> str:
    depts = _depts(members)
    products = _join(list(dict.fromkeys(names.product_display_name(m.name) for m in members)),
                     limit=5)
    both = "both" if len(depts) == 2 else "all"
    return (f"{_join(depts)} should talk: they {both} use products from {label} ({products}), "
            "so the vendor's terms, data-protection agreement and security assessment can be "
            "shared.")


def _purpose_sentence(members: Sequence[Member], words: Sequence[str],
                      fields: Sequence[str] = ()) -> str:
    about = f" (they share the words: {', '.join(words)}" if words else ""
    if fields:
        about += ("; and the same " if about else " (the same ") + " and ".join(fields)
    about += ")" if about else ""
    deployed = [m for m in members if m.stage in DEPLOYED]
    if len(deployed) == len(members):
        why = "so they can compare results"
    elif deployed:
        why = "so the teams still evaluating can learn from those already using theirs"
    else:
        why = "so they can compare approaches before running separate pilots"
    tools = _join([f"{m.name} ({m.id})" for m in members], limit=4)
    verb = "both" if len(members) == 2 else "all"
    return (f"{_join(_depts(members))} should talk: {tools} {verb} describe a similar "
            f"purpose{about}, {why}.")


def overlaps(recs: Sequence[Mapping[str, Any]]) -> list[Overlap]:
    """Tools in different departments with the same product, the same vendor, or a similar
    purpose. Retired tools are left out: nobody runs them any more."""
    live = [r for r in recs if r.get("stage") != Stage.RETIRED.value and r.get("id")]
    found: list[Overlap] = []
    product_key = {_s(r.get("id")): names.normalize_product(_s(r.get("name"))) for r in live}
    by_product: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    by_vendor: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in live:
        # A product only when the name is a known product or the record names its vendor:
        # "ChatBot" or "Language Translation" in two agencies are two use cases, not one
        # product; the same name from two different vendors is two products.
        key = product_key[_s(r.get("id"))]
        vkey = names.normalize_product(_vendor(r))
        if key and (names.is_known_product(_s(r.get("name"))) or vkey):
            by_product[(key, vkey)].append(r)
        if vkey:
            by_vendor[vkey].append(r)
    for (_key, vkey), group in by_product.items():
        members = _sorted(_member(r) for r in group)
        if len(_depts(members)) >= 2:
            label = names.product_display_name(_s(group[0].get("name")))
            vendor = _vendor(group[0]) if vkey else ""
            found.append(Overlap("product", label, members,
                                 _product_sentence(label, members, vendor)))
    for group in by_vendor.values():
        members = _sorted(_member(r) for r in group)
        products = {product_key[m.id] for m in members}
        # One product is already a product overlap; a vendor overlap is about the contract.
        if len(_depts(members)) >= 2 and len(products) >= 2:
            label = _vendor(group[0]).strip()
            found.append(Overlap("vendor", label, members, _vendor_sentence(label, members)))
    found.extend(_purpose_overlaps(live, product_key))
    rank = {"product": 0, "vendor": 1, "purpose": 2}
    found.sort(key=lambda o: (rank[o.kind], -len(o.departments), -(o.similarity or 0),
                              o.label.lower()))
    return found


def _vendor(r: Mapping[str, Any]) -> str:
    """The record's vendor, else the maker its product's name states, else ""."""
    return _s(r.get("vendor")) or names.product_vendor(_s(r.get("name"))) or ""


def _purpose_text(r: Mapping[str, Any]) -> str:
    p = r.get("purpose") if isinstance(r.get("purpose"), Mapping) else {}
    assert isinstance(p, Mapping)
    return f"{_s(p.get('problem'))}\n{_s(p.get('goal'))}"


_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*")


def _surface(stems: Iterable[str], text: str) -> dict[str, str]:
    """The word as written for each stem (the first spelling in `text`)."""
    want, out = set(stems), {}
    for w in _WORD.findall(text):
        for stem in names.purpose_tokens(w.lower()):
            if stem in want and stem not in out:
                out[stem] = w.lower()
    return out


def _purpose_overlaps(live: Sequence[Mapping[str, Any]],
                      product_key: Mapping[str, str]) -> list[Overlap]:
    """Tools in different departments whose purposes share enough informative words, in
    clusters: each tool is in at most one group, and a group shows the words all its members
    share. Pairs are taken most similar first; a pair starts a group, and a tool joins a group
    only when it shares at least MIN_SHARED of the group's common words and is similar
    enough to the group's first tool (so a group never drifts from one topic to another)."""
    texts = [_purpose_text(r) for r in live]
    toks = [names.purpose_tokens(t) for t in texts]
    df = Counter(w for t in toks for w in t)
    cap = max(COMMON_MIN, COMMON_SHARE * len(live))
    generic = names.purpose_tokens(GENERIC_WORDS)
    info = [frozenset(w for w in t if df[w] <= cap and w not in generic) for t in toks]
    index: dict[str, list[int]] = defaultdict(list)
    for n, t in enumerate(info):
        for w in t:
            index[w].append(n)
    deps = [_s(r.get("department")) for r in live]
    keys = [product_key[_s(r.get("id"))] for r in live]
    pairs: list[tuple[float, int, int]] = []
    for i, ti in enumerate(info):
        if len(ti) < MIN_SHARED:
            continue
        shared: Counter[int] = Counter()
        for w in ti:
            for j in index[w]:
                if j > i and deps[j] != deps[i]:
                    shared[j] += 1
        for j, k in shared.items():
            if k < MIN_SHARED or (keys[i] and keys[i] == keys[j]):
                continue  # one product in two departments is already a product overlap
            sim = k / len(ti | info[j])
            if sim >= PURPOSE_THRESHOLD:
                pairs.append((sim, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    group_of: dict[int, int] = {}
    groups: list[tuple[list[int], set[str], list[float]]] = []  # members, common words, sims
    for sim, i, j in pairs:
        gi, gj = group_of.get(i), group_of.get(j)
        if gi is None and gj is None:
            group_of[i] = group_of[j] = len(groups)
            groups.append(([i, j], set(info[i] & info[j]), [sim]))
            continue
        if gi is not None and gj is not None:
            continue  # each tool is in one group only
        g, new = (gi, j) if gi is not None else (gj, i)
        assert g is not None
        members, common, sims = groups[g]
        lead = members[0]
        lead_sim = len(info[lead] & info[new]) / len(info[lead] | info[new])
        if len(common & info[new]) >= MIN_SHARED and lead_sim >= PURPOSE_THRESHOLD:
            members.append(new)
            common &= info[new]
            sims.append(lead_sim)
            group_of[new] = g
    found = []
    for idx, words, sims in groups:
        tools = _sorted(_member(live[n]) for n in idx)
        if len(_depts(tools)) < 2:
            continue
        top = sorted(words, key=lambda w: (df[w], w))[:6]
        spelled = _surface(top, "\n".join(texts[n] for n in sorted(idx)[:4]))
        shown = tuple(spelled.get(w, w) for w in top)
        vendors = {names.normalize_product(_vendor(live[n])) for n in idx}
        fields = ("vendor",) if len(vendors) == 1 and "" not in vendors else ()
        label = ", ".join(shown)
        found.append(Overlap("purpose", label, tools,
                             _purpose_sentence(tools, shown, fields), min(sims), shown))
    return found
