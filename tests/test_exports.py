"""`aireg export`: CycloneDX 1.6 and Backstage entities, checked by their own validators."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from conftest import DEMO_DAY, Reg, dedent
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from aireg.render.exports import EXPORTERS

TODAY = DEMO_DAY
BACKSTAGE = Path(__file__).resolve().parent / "data" / "backstage"
# Backstage's own rules for entity names and label values (catalog-model's
# KubernetesValidatorFunctions), which its JSON schemas leave to code.
NAME = re.compile(r"^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$")


def cyclonedx(r: Reg) -> dict[str, Any]:
    result = r.ok("export", "--format", "cyclonedx")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def backstage(r: Reg) -> list[dict[str, Any]]:
    result = r.ok("export", "--format", "backstage")
    return [d for d in yaml.safe_load_all(result.stdout) if d is not None]


def props(service: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in service.get("properties", []):
        out.setdefault(p["name"], []).append(p["value"])
    return out


def strict_errors(text: str) -> Any:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)


def backstage_validator() -> jsonschema.Draft7Validator:
    resources = []
    for path in BACKSTAGE.rglob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource(contents=schema, specification=DRAFT7)))
    registry: Registry[Any] = Registry().with_resources(resources)
    component = json.loads((BACKSTAGE / "kinds" / "Component.v1alpha1.schema.json").read_text())
    return jsonschema.Draft7Validator(component, registry=registry)


# -- CycloneDX -------------------------------------------------------------------------------


def test_cyclonedx_passes_the_strict_validator(demo: Reg) -> None:
    # The export is CycloneDX 1.6 JSON that cyclonedx-python-lib's strict validator accepts,
    # and the validator does refuse a document that breaks the schema.
    text = demo.ok("export", "--format", "cyclonedx").stdout
    assert strict_errors(text) is None
    broken = json.loads(text)
    broken["services"][0]["data"] = [{"flow": "sideways", "classification": "internal"}]
    assert strict_errors(json.dumps(broken)) is not None


def test_cyclonedx_has_one_service_per_tool_with_its_facts(demo: Reg) -> None:
    # Each tool is a service: provider from vendor, endpoint from url, data classifications
    # from security.data, and the approval state and conditions as aireg properties.
    bom = cyclonedx(demo)
    assert bom["specVersion"] == "1.6"
    ids = sorted(p.stem for p in (demo.root / "tools").glob("*.yaml"))
    services = {props(s)["aireg:id"][0]: s for s in bom["services"]}
    assert sorted(services) == ids
    otter = services["interview-summaries"]
    assert otter["provider"] == {"name": "Otter.ai, Inc."}
    assert otter["endpoints"] == ["https://otter.ai"]
    assert [d["classification"] for d in otter["data"]] == ["internal", "customer-personal"]
    p = props(otter)
    assert p["aireg:stage"] == ["active"]
    assert p["aireg:approval"] == ["approved"] and p["aireg:usable"] == ["true"]
    assert p["aireg:review:condition"] == ["Company workspace only"]
    waiting = props(services["code-assistant"])
    assert waiting["aireg:approval"] == ["none"] and waiting["aireg:usable"] == ["false"]
    assert len({s["bom-ref"] for s in bom["services"]}) == len(ids)


# -- Backstage -------------------------------------------------------------------------------


def test_backstage_entities_pass_backstages_schemas(demo: Reg) -> None:
    # Every entity validates against Backstage's published Component schema (vendored in
    # tests/data/backstage with its licence), names and labels follow Backstage's rules,
    # and the vendored schema does refuse a broken entity.
    validator = backstage_validator()
    entities = backstage(demo)
    assert len(entities) == len(list((demo.root / "tools").glob("*.yaml")))
    for entity in entities:
        errors = [e.message for e in validator.iter_errors(entity)]
        assert errors == [], (entity["metadata"]["name"], errors)
        meta = entity["metadata"]
        assert NAME.match(meta["name"]) and len(meta["name"]) <= 63
        for value in meta["labels"].values():
            assert NAME.match(value) and len(value) <= 63, value
    broken = dict(entities[0], spec={"type": "service", "owner": "group:default/x"})
    assert list(validator.iter_errors(broken))  # no lifecycle


def test_backstage_maps_stage_owner_links_and_review(demo: Reg) -> None:
    # Lifecycle follows the stage, the department is the owning group, the tool's owner,
    # approval and conditions are annotations, and the url is a link.
    by_name = {e["metadata"]["name"]: e for e in backstage(demo)}
    otter = by_name["interview-summaries"]
    assert otter["kind"] == "Component"
    assert otter["spec"] == {"type": "service", "lifecycle": "production",
                             "owner": "group:default/marketing"}
    assert otter["metadata"]["title"] == "Otter.ai"
    assert otter["metadata"]["links"][0]["url"] == "https://otter.ai"
    assert otter["metadata"]["labels"]["aireg.dev/approval"] == "approved"
    notes = otter["metadata"]["annotations"]
    assert notes["aireg.dev/owner"] == "les@example.com"
    assert notes["aireg.dev/review-conditions"] == "Company workspace only"
    lifecycles = {n: e["spec"]["lifecycle"] for n, e in by_name.items()}
    assert lifecycles["code-assistant"] == "experimental"  # in security
    assert lifecycles["call-transcripts"] == "deprecated"  # rejected
    assert lifecycles["copy-drafts"] == "deprecated"  # retired


# -- the command -----------------------------------------------------------------------------


def test_output_file_matches_stdout_and_format_choices_come_from_the_renderers(
        demo: Reg, tmp_path: Path) -> None:
    # -o writes the same text as stdout; an unknown format is a usage error naming the
    # choices, which are the renderers' names.
    assert sorted(EXPORTERS) == ["backstage", "cyclonedx"]
    out = tmp_path / "sub" / "catalog-info.yaml"
    demo.ok("export", "--format", "backstage", "-o", str(out))
    assert out.read_text(encoding="utf-8") == demo.ok("export", "--format", "backstage").stdout
    bad = demo.aireg("export", "--format", "spdx")
    assert bad.exit_code == 2
    assert "cyclonedx" in bad.output and "backstage" in bad.output


def test_exports_read_the_committed_registry_not_the_working_tree(demo: Reg) -> None:
    # An uncommitted edit and an uncommitted new record are not exported; once committed,
    # they are.
    path = demo.root / "tools" / "support-replies.yaml"
    path.write_text(path.read_text().replace("name: Zendesk AI", "name: Draft Name"))
    demo.write("tools/not-committed.yaml", dedent("""\
        schema: aireg/v1
        id: not-committed
        name: Not Committed
        department: support
        owner: les@example.com
        stage: purpose
        created: 2026-11-01
        """))
    names = {s["name"] for s in cyclonedx(demo)["services"]}
    assert "Zendesk AI" in names and "Draft Name" not in names and "Not Committed" not in names
    demo.commit_all("hand edit", as_="les@example.com")
    names = {s["name"] for s in cyclonedx(demo)["services"]}
    assert "Draft Name" in names and "Not Committed" in names


def test_a_broken_committed_record_is_left_out_and_named(demo: Reg) -> None:
    # A committed record that cannot be parsed does not stop the export: it is left out,
    # and stderr names it; the other tools are all there.
    demo.write("tools/broken.yaml", "id: broken\nname: [unclosed\n")
    demo.commit_all("broken", as_="les@example.com")
    result = demo.ok("export", "--format", "cyclonedx")
    assert "tools/broken.yaml" in result.stderr and "left out" in result.stderr
    ids = {props(s)["aireg:id"][0] for s in json.loads(result.stdout)["services"]}
    assert "broken" not in ids and "interview-summaries" in ids
