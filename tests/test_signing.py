"""Tests of aireg.signing: real ssh-keygen keys, signatures and allowed-signers files."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_git import CTO, MAL, Registry, make_key, run_git, signer_line, with_review

from aireg import config as config_mod
from aireg import records, signing, yamlio
from aireg.errors import EnvError

PAYLOAD = records.review_payload("notes", "approved", "2026-11-20", CTO, "sha256:abc")


@pytest.fixture(scope="module")
def keydir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("keys")
    for name in ("cto", "mal", "stranger"):
        make_key(d, name)
    return d


@pytest.fixture(scope="module")
def allowed(keydir: Path) -> str:
    return signer_line(CTO, keydir / "cto") + signer_line(MAL, keydir / "mal")


def test_good_signature_verifies_for_its_reviewer(keydir: Path, allowed: str,
                                                  tmp_path: Path) -> None:
    # The reviewer's own key, listed for them: good.
    sig = signing.sign(PAYLOAD, str(keydir / "cto"), tmp_path)
    assert sig.startswith("-----BEGIN SSH SIGNATURE-----") and sig.endswith("\n")
    assert signing.verify(PAYLOAD, sig, CTO, allowed) == "good"
    assert signing.verify(PAYLOAD, sig, "CTO@acme.example ", allowed) == "good"


def test_each_way_a_signature_fails_is_told_apart(keydir: Path, allowed: str,
                                                  tmp_path: Path) -> None:
    # Tampered payload: bad; another listed person's key: wrong-signer; unlisted key:
    # unknown-key; nothing: unsigned; garbage: bad.
    sig = signing.sign(PAYLOAD, str(keydir / "cto"), tmp_path)
    tampered = PAYLOAD.replace(b"approved", b"rejected")
    assert signing.verify(tampered, sig, CTO, allowed) == "bad"
    mal = signing.sign(PAYLOAD, str(keydir / "mal"), tmp_path)
    assert signing.verify(PAYLOAD, mal, CTO, allowed) == "wrong-signer"
    stranger = signing.sign(PAYLOAD, str(keydir / "stranger"), tmp_path)
    assert signing.verify(PAYLOAD, stranger, CTO, allowed) == "unknown-key"
    assert signing.verify(PAYLOAD, stranger, CTO, "") == "unknown-key"
    assert signing.verify(PAYLOAD, None, CTO, allowed) == "unsigned"
    assert signing.verify(PAYLOAD, "  ", CTO, allowed) == "unsigned"
    assert signing.verify(PAYLOAD, "not a signature", CTO, allowed) == "bad"
    broken = sig.replace(sig.splitlines()[2], "A" * len(sig.splitlines()[2]))
    assert signing.verify(PAYLOAD, broken, CTO, allowed) == "bad"


def test_signature_in_another_namespace_does_not_count(keydir: Path, allowed: str,
                                                       tmp_path: Path) -> None:
    # A signature made for git commits (namespace "git") cannot be replayed as a review.
    import subprocess

    done = subprocess.run(["ssh-keygen", "-Y", "sign", "-n", "git", "-f", str(keydir / "cto")],
                          input=PAYLOAD, capture_output=True, check=True)
    assert signing.verify(PAYLOAD, done.stdout.decode(), CTO, allowed) == "bad"


def test_signature_survives_a_yaml_round_trip(keydir: Path, allowed: str,
                                              tmp_path: Path) -> None:
    # Stored in the record as a block of text, read back (final newline or not): still good.
    sig = signing.sign(PAYLOAD, str(keydir / "cto"), tmp_path)
    text = yamlio.dump({"signature": sig})
    back = yamlio.load(text, "x.yaml")["signature"]
    assert signing.verify(PAYLOAD, back, CTO, allowed) == "good"
    assert signing.verify(PAYLOAD, sig.rstrip("\n").replace("\n", "\r\n"), CTO,
                          allowed) == "good"


def test_public_key_path_signs_with_the_private_key_beside_it(keydir: Path, allowed: str,
                                                              tmp_path: Path) -> None:
    # user.signingkey = ~/.ssh/id_ed25519.pub (git's usual form) works without an agent.
    sig = signing.sign(PAYLOAD, str(keydir / "cto.pub"), tmp_path)
    assert signing.verify(PAYLOAD, sig, CTO, allowed) == "good"


def test_signing_key_comes_from_git_config(tmp_path: Path, keydir: Path) -> None:
    # Missing user.signingkey names the command that sets it; a missing file is explained.
    reg = Registry.create(tmp_path / "r")
    with pytest.raises(EnvError) as info:
        signing.signing_key(reg.root)
    assert "git config user.signingkey ~/.ssh/id_ed25519" in str(info.value)
    assert info.value.exit_code == 3
    run_git(reg.root, "config", "user.signingkey", str(keydir / "cto"))
    assert signing.signing_key(reg.root) == str(keydir / "cto")
    with pytest.raises(EnvError, match="no such file"):
        signing.sign(PAYLOAD, str(tmp_path / "nope"), reg.root)
    with pytest.raises(EnvError, match=r"git config user\.signingkey"):
        signing.sign(PAYLOAD, None, reg.root)


def test_missing_ssh_keygen_is_an_environment_error(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path, keydir: Path) -> None:
    # Without ssh-keygen on PATH: exit 3 with what to install, for signing and verifying.
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EnvError, match="openssh"):
        signing.sign(PAYLOAD, str(keydir / "cto"), tmp_path)
    with pytest.raises(EnvError, match="ssh-keygen"):
        signing.verify(PAYLOAD + b"x", "-----BEGIN SSH SIGNATURE-----\nx\n", CTO, "")


def test_checker_reads_the_working_trees_allowed_signers(tmp_path: Path, keydir: Path) -> None:
    # validate's record rules: None for a good signature, one sentence otherwise.
    reg = Registry.create(tmp_path / "r", signed=True,
                          signers=signer_line(CTO, keydir / "cto"))
    cfg = config_mod.load(reg.root)
    check = signing.checker(reg.root, cfg)
    rec = {"id": "notes", "name": "n", "stage": "security", "security": {"data": ["public"]}}
    good = with_review(rec, key=keydir / "cto", root=reg.root)["security"]["review"]
    assert check("notes", good) is None
    wrong = with_review(rec, key=keydir / "mal", root=reg.root)["security"]["review"]
    reason = check("notes", wrong)
    assert reason is not None and ".aireg/allowed_signers" in reason
    (reg.root / ".aireg/allowed_signers").write_text(signer_line(CTO, keydir / "mal"))
    assert signing.checker(reg.root, cfg)("notes", wrong) is None


def test_reasons_are_sentences_with_the_fix() -> None:
    # Each failing status explains itself and says what to do.
    for status in ("bad", "unknown-key", "wrong-signer", "unsigned"):
        text = signing.reason(status, "notes", CTO, ".aireg/allowed_signers")
        assert text and text.endswith(".") and "notes" in text
    assert signing.reason("good", "notes", CTO, ".aireg/allowed_signers") is None
