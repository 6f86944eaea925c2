"""Signed reviews: sign a review's canonical payload with ssh-keygen, and verify it.

A review's signature is an SSH signature (``ssh-keygen -Y sign``, namespace ``aireg-review``)
over :func:`aireg.records.signed_payload` -- the tool id and every field of the review but the
signature (decision, date, reviewer, digest, answers, conditions, note...) -- so the proof
lives in the record and survives squash and rebase merges, which drop commit signatures.
Verification tells four outcomes apart:

``good``          the signature verifies for the reviewer the review names;
``bad``           it does not verify at all: a field of the review changed after signing
                  (decision, date, reviewer, digest, answers, conditions, note...), or the
                  signature text is damaged;
``wrong-signer``  it is a valid signature by a key that allowed_signers gives to someone
                  else (a commit authored as the CTO but signed by another person's key);
``unknown-key``   it is a valid signature by a key that allowed_signers does not list;
``unsigned``      there is no signature.

Which allowed-signers file is used is the caller's choice: :func:`checker` (for
``aireg validate`` on the working tree) reads the working tree's file, while history checks
(``aireg validate --base``, ``aireg audit``) read it as it stands on the base, so a pull
request cannot add its own key and sign with it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aireg import identity, records
from aireg.errors import EnvError

if TYPE_CHECKING:
    from aireg.config import Config

NAMESPACE = "aireg-review"
Status = Literal["good", "bad", "unknown-key", "wrong-signer", "unsigned"]
STATUSES: tuple[Status, ...] = ("good", "bad", "unknown-key", "wrong-signer", "unsigned")

_SIGN_FIX = "git config user.signingkey ~/.ssh/id_ed25519"
_cache: dict[tuple[bytes, str, str, str], Status] = {}


def _ssh_keygen() -> str:
    exe = shutil.which("ssh-keygen")
    if exe is None:
        raise EnvError(
            "ssh-keygen is not installed or not on PATH, so review signatures cannot be made "
            "or checked; install OpenSSH 8.2 or later (e.g. apt install openssh-client)."
        )
    return exe


def _run(args: list[str], stdin: bytes,
         cwd: str | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [_ssh_keygen(), *args], input=stdin, capture_output=True, timeout=120, cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise EnvError(
            "ssh-keygen did not finish within two minutes (is it waiting for a passphrase or a "
            "security key touch?); unlock the key in ssh-agent and try again."
        ) from exc


# -- the signing key ------------------------------------------------------------------------

def signing_key(root: Path) -> str:
    """The acting reviewer's key as git's ``user.signingkey`` in the registry names it."""
    from aireg.gitrepo import Git

    key = Git(root).config("user.signingkey")
    if not key:
        raise EnvError(
            "git's user.signingkey is not set, so the review cannot be signed; point it at "
            f"your SSH key, e.g. `{_SIGN_FIX}`, then run the command again."
        )
    return key


def _key_file(key: str, root: Path, tmp: Path) -> str:
    """A file ssh-keygen can sign with, for each form git's user.signingkey takes.

    ``key::ssh-ed25519 AAAA...`` (a literal public key whose private half is in ssh-agent) is
    written to a temporary .pub file; a path (``~`` expanded, relative to the registry) is
    used as it is, except that a ``.pub`` path whose private key sits beside it signs with
    that private key, so no agent is needed.
    """
    if key.startswith("key::"):
        pub = tmp / "signingkey.pub"
        pub.write_text(key[len("key::"):].strip() + "\n", encoding="utf-8")
        return str(pub)
    if key.startswith("ssh-"):  # a bare literal public key, as older git accepted
        pub = tmp / "signingkey.pub"
        pub.write_text(key.strip() + "\n", encoding="utf-8")
        return str(pub)
    path = Path(key).expanduser()
    if not path.is_absolute():
        path = root / path
    if not path.exists():
        raise EnvError(
            f"git's user.signingkey is {key}, but there is no such file; point it at your SSH "
            f"key, e.g. `{_SIGN_FIX}`."
        )
    if path.suffix == ".pub" and path.with_suffix("").is_file():
        return str(path.with_suffix(""))
    return str(path)


def sign(payload: bytes, key: str | None, root: Path) -> str:
    """The armored SSH signature (namespace aireg-review) of `payload` by `key` (git's
    user.signingkey: a key file, a .pub beside its private key, or ``key::ssh-...``)."""
    if not key:
        raise EnvError(
            "git's user.signingkey is not set, so the review cannot be signed; point it at "
            f"your SSH key, e.g. `{_SIGN_FIX}`, then run the command again."
        )
    with tempfile.TemporaryDirectory(prefix="aireg-sign-") as tmp:
        key_file = _key_file(key, root, Path(tmp))
        done = _run(["-Y", "sign", "-n", NAMESPACE, "-f", key_file], payload)
    text = done.stdout.decode("ascii", "replace")
    if done.returncode != 0 or "-----BEGIN SSH SIGNATURE-----" not in text:
        why = _first_line(done.stderr) or f"ssh-keygen exited with {done.returncode}"
        raise EnvError(
            f"ssh-keygen could not sign the review with {key} ({why}); check that the key "
            "exists and is unlocked (ssh-add), or set another with "
            f"`{_SIGN_FIX}`."
        )
    return _normalized(text)


def _first_line(err: bytes) -> str:
    lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("Signing data on")]
    return lines[0] if lines else ""


def _normalized(signature: str) -> str:
    return signature.strip().replace("\r\n", "\n") + "\n"


# -- verification -----------------------------------------------------------------------------

def verify(payload: bytes, signature: str | None, signer_email: str,
           allowed_signers_text: str) -> Status:
    """Whether `signature` is `signer_email`'s signature of `payload` by allowed_signers."""
    if not isinstance(signature, str) or not signature.strip():
        return "unsigned"
    sig = _normalized(signature)
    email = identity.normal(signer_email)
    digest = hashlib.sha256(allowed_signers_text.encode("utf-8", "replace")).hexdigest()
    key = (payload, sig, email, digest)
    if key in _cache:
        return _cache[key]
    status = _verify(payload, sig, email, allowed_signers_text)
    if len(_cache) > 4096:
        _cache.clear()
    _cache[key] = status
    return status


def _verify(payload: bytes, sig: str, email: str, allowed: str) -> Status:
    if "-----BEGIN SSH SIGNATURE-----" not in sig:
        return "bad"
    with tempfile.TemporaryDirectory(prefix="aireg-verify-") as tmp:
        allowed_file = os.path.join(tmp, "allowed_signers")
        sig_file = os.path.join(tmp, "review.sig")
        with open(allowed_file, "w", encoding="utf-8") as fh:
            fh.write(allowed if allowed.endswith("\n") or not allowed else allowed + "\n")
        with open(sig_file, "w", encoding="ascii", errors="replace") as fh:
            fh.write(sig)
        if records.EMAIL_RE.match(email):
            good = _run(["-Y", "verify", "-f", allowed_file, "-I", email, "-n", NAMESPACE,
                         "-s", sig_file], payload, cwd=tmp)
            if good.returncode == 0:
                return "good"
        # Not good for this reviewer: is it a valid signature at all, and whose key made it?
        valid = _run(["-Y", "check-novalidate", "-n", NAMESPACE, "-s", sig_file], payload,
                     cwd=tmp)
        if valid.returncode != 0:
            return "bad"
        found = _run(["-Y", "find-principals", "-f", allowed_file, "-s", sig_file], b"",
                     cwd=tmp)
        if found.returncode == 0 and found.stdout.strip():
            return "wrong-signer"
        return "unknown-key"


def review_payload(tool_id: str, review: Mapping[str, Any]) -> bytes:
    """The payload a review's signature covers: the tool id and every field of the review
    but its signature (records.signed_payload)."""
    return records.signed_payload(tool_id, review)


def _v1_payload(tool_id: str, review: Mapping[str, Any]) -> bytes:
    return records.review_payload(
        tool_id, str(review.get("decision", "")), str(review.get("date", "")),
        str(review.get("by", "")).strip().lower(), str(review.get("digest", "")),
    )


def review_status(tool_id: str, review: Mapping[str, Any], allowed_signers_text: str) -> Status:
    """The signature status of a review as recorded in tools/<tool_id>.yaml.

    A signature over the version-1 payload (decision, date, reviewer, digest) still proves
    a review that holds none but those fields, since it then covers the whole review."""
    sig, by = review.get("signature"), str(review.get("by", ""))
    status = verify(review_payload(tool_id, review), sig, by, allowed_signers_text)
    if status != "good" and set(map(str, review)) <= records.V1_REVIEW_FIELDS:
        old = verify(_v1_payload(tool_id, review), sig, by, allowed_signers_text)
        if old != "bad":
            return old
    return status


def reason(status: Status, tool_id: str, by: str, allowed_signers: str) -> str | None:
    """One sentence saying why a review's signature does not prove its reviewer, or None."""
    if status == "good":
        return None
    if status == "unsigned":
        return (f"the review of {tool_id} carries no signature; {by} must review it again "
                "with `aireg review --security --sign`.")
    if status == "bad":
        return (f"the signature of the review of {tool_id} does not verify: a field of the "
                "review (decision, date, reviewer, digest, answers, conditions, note) changed "
                f"after it was signed, or the signature is damaged; {by} must review it again "
                "with --sign.")
    if status == "wrong-signer":
        return (f"the review of {tool_id} names {by}, but it was signed with a key that "
                f"{allowed_signers} gives to someone else; {by} must sign it with their own "
                "key (aireg review --security --sign).")
    return (f"the review of {tool_id} was signed with a key that {allowed_signers} does not "
            f"list for anyone; an admin must add {by}'s public key there, or {by} must sign "
            "with a listed key.")


def read_allowed_signers(root: Path, cfg: Config) -> str:
    """The working tree's allowed-signers file, empty when it does not exist."""
    path = root / cfg.policy.allowed_signers
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return ""
    except OSError as exc:
        raise EnvError(f"{cfg.policy.allowed_signers} cannot be read ({exc.strerror}); check "
                       "its permissions.") from exc


def checker(root: Path, cfg: Config) -> Callable[[str, Mapping[str, Any]], str | None]:
    """For the record rules (``aireg validate`` on the working tree): (tool id, review) ->
    None when the review's signature verifies for its reviewer, else why not.

    It uses the allowed-signers file in the working tree; ``aireg validate --base`` judges
    each review in the pull request against the base's file instead (aireg.history).
    """
    text = read_allowed_signers(root, cfg)
    path = cfg.policy.allowed_signers

    def check(tool_id: str, review: Mapping[str, Any]) -> str | None:
        by = str(review.get("by", "")).strip().lower()
        return reason(review_status(tool_id, review, text), tool_id, by, path)

    return check
