"""The registry in other tools' formats: CycloneDX 1.6 services and Backstage catalog entities.

Pure: each function takes the registry as committed (aireg.committed.Committed) and returns
plain data; rendering it as JSON or YAML is render/exports.py's job.

CycloneDX (the bill-of-materials standard supply-chain tools read): each tool is a
*service*, the kind CycloneDX has for something run by a provider and reached over the
network: its vendor is the provider, its url the endpoint, its security.data the data
classifications, and the review state goes in `aireg:` properties.

Backstage: each tool is a *Component* of type `service`. Backstage's Resource kind is
for infrastructure a component runs on (a database, a bucket) and has no lifecycle; a
Component does, and a tool chosen by a team is that team's software, so the stage maps to
its lifecycle (purpose to security: experimental; impact and active: production; rejected
and retired: deprecated). The owner is the department, as a Backstage group
(`group:default/<department>`): Backstage expects a team there, and department ids are
valid entity names; the person who owns the tool is in the `aireg.dev/owner` annotation.
The stage and the review decision are labels (short slugs, so Backstage can filter on them);
the conditions, reviewer and date are annotations.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aireg import __version__, records
from aireg.committed import Committed
from aireg.records import Stage

LIFECYCLE = {
    Stage.PURPOSE.value: "experimental", Stage.USERS.value: "experimental",
    Stage.PILOT.value: "experimental", Stage.SECURITY.value: "experimental",
    Stage.IMPACT.value: "production", Stage.ACTIVE.value: "production",
    Stage.REJECTED.value: "deprecated", Stage.RETIRED.value: "deprecated",
}
_DEPLOYED = (Stage.IMPACT.value, Stage.ACTIVE.value)
# Backstage's rules for entity names and label values: at most 63 characters of
# [A-Za-z0-9] runs separated by one of - _ .
_BACKSTAGE_NAME = re.compile(r"^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$")
_URL = re.compile(r"^https?://\S+$")


_s, _map = records.as_text, records.as_map


def _strs(value: object) -> list[str]:
    return list(records.as_texts(value))


def approval(rec: Mapping[str, Any]) -> str:
    """approved | out-of-date | changes-requested | rejected | none: the review's state now."""
    review = _map(_map(rec.get("security")).get("review"))
    decision = review.get("decision")
    if decision == "approved":
        return "approved" if review.get("digest") == records.digest(rec) else "out-of-date"
    return decision if decision in ("changes-requested", "rejected") else "none"


def usable(rec: Mapping[str, Any]) -> bool:
    """Deployed with a current approval."""
    return rec.get("stage") in _DEPLOYED and approval(rec) == "approved"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def cyclonedx(snap: Committed) -> dict[str, Any]:
    """A CycloneDX 1.6 BOM with one service per tool."""
    services = []
    for rec in snap.records:
        tid = _s(rec.get("id"))
        sec = _map(rec.get("security"))
        review = _map(sec.get("review"))
        url = _s(rec.get("url"))
        service: dict[str, Any] = {"bom-ref": f"aireg:{tid}", "name": _s(rec.get("name")) or tid}
        vendor = _s(rec.get("vendor"))
        if vendor:
            service["provider"] = {"name": vendor}
        purpose = _map(rec.get("purpose"))
        description = " ".join(_s(purpose.get("goal") or purpose.get("problem")).split())
        if description:
            service["description"] = description
        if _URL.match(url):
            service["endpoints"] = [url]
            service["externalReferences"] = [{"type": "website", "url": url}]
        data = _strs(sec.get("data"))
        if data:
            service["data"] = [{"flow": "bi-directional", "classification": d} for d in data]
        props = [("aireg:id", tid), ("aireg:department", _s(rec.get("department"))),
                 ("aireg:owner", _s(rec.get("owner"))), ("aireg:stage", _s(rec.get("stage"))),
                 ("aireg:approval", approval(rec)),
                 ("aireg:usable", "true" if usable(rec) else "false")]
        if review:
            props += [("aireg:review:decision", _s(review.get("decision"))),
                      ("aireg:review:by", _s(review.get("by"))),
                      ("aireg:review:date", _s(review.get("date")))]
            props += [("aireg:review:condition", c) for c in _strs(review.get("conditions"))]
        if isinstance(sec.get("trains_on_our_data"), bool):
            props.append(("aireg:trains-on-our-data",
                          "true" if sec["trains_on_our_data"] else "false"))
        for key in ("retention", "residency"):
            if sec.get(key) is not None:
                props.append((f"aireg:{key}", _s(sec.get(key))))
        service["properties"] = [{"name": k, "value": v} for k, v in props if v != ""]
        services.append(service)
    metadata: dict[str, Any] = {
        "timestamp": _now(),
        "tools": {"components": [{"type": "application", "name": "aireg",
                                  "version": __version__}]},
        "supplier": {"name": snap.config.organization},
        "properties": [{"name": "aireg:registry-commit", "value": snap.head or ""}],
    }
    if not snap.head:
        metadata.pop("properties")
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": uuid.uuid4().urn,
        "version": 1,
        "metadata": metadata,
        "services": services,
    }


def backstage_name(tool_id: str) -> str:
    """The tool's id as a Backstage entity name (ids are at most 64 characters, names 63)."""
    if len(tool_id) <= 63:
        return tool_id
    return tool_id[:54].rstrip("-") + "-" + hashlib.sha256(tool_id.encode()).hexdigest()[:8]


def _label(value: str) -> str | None:
    return value if len(value) <= 63 and _BACKSTAGE_NAME.match(value) else None


def backstage(snap: Committed) -> list[dict[str, Any]]:
    """One Backstage Component entity per tool."""
    out = []
    for rec in snap.records:
        tid = _s(rec.get("id"))
        stage = _s(rec.get("stage"))
        dep = _s(rec.get("department"))
        sec = _map(rec.get("security"))
        review = _map(sec.get("review"))
        purpose = _map(rec.get("purpose"))
        state = approval(rec)
        labels = {k: v for k, v in (("aireg.dev/stage", _label(stage)),
                                    ("aireg.dev/approval", _label(state)),
                                    ("aireg.dev/usable", "true" if usable(rec) else "false"))
                  if v}
        annotations = {
            "aireg.dev/id": tid, "aireg.dev/owner": _s(rec.get("owner")),
            "aireg.dev/vendor": _s(rec.get("vendor")), "aireg.dev/stage": stage,
            "aireg.dev/approval": state,
            "aireg.dev/data-classes": ", ".join(_strs(sec.get("data"))),
            "aireg.dev/review-decision": _s(review.get("decision")),
            "aireg.dev/review-by": _s(review.get("by")),
            "aireg.dev/review-date": _s(review.get("date")),
            "aireg.dev/review-conditions": "; ".join(_strs(review.get("conditions"))),
            "aireg.dev/registry-commit": snap.head or "",
        }
        metadata: dict[str, Any] = {
            "name": backstage_name(tid),
            "title": _s(rec.get("name")) or tid,
            "labels": labels,
            "annotations": {k: v for k, v in annotations.items() if v},
            "tags": ["ai-tool"],
        }
        description = " ".join(_s(purpose.get("goal") or purpose.get("problem")).split())
        if description:
            metadata["description"] = description
        url = _s(rec.get("url"))
        if _URL.match(url):
            metadata["links"] = [{"url": url, "title": "Website", "icon": "web"}]
        owner = f"group:default/{dep}" if _label(dep) else "group:default/unknown"
        out.append({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": metadata,
            "spec": {"type": "service", "lifecycle": LIFECYCLE.get(stage, "experimental"),
                     "owner": owner},
        })
    return out
