"""PEP 740 provenance: who published a file, verified offline where the bundle allows it.

An index may serve, for each file, a provenance document: attestation bundles, each naming a
Trusted Publisher (a CI repository and workflow) and holding Sigstore-signed statements about
the file's name and SHA-256. :mod:`pypi_attestations` parses them and verifies each
attestation against the publisher it names and the file's digest, with Sigstore's trust root
as shipped (``offline=True``: no trust-root refresh, no network). A verified attestation
proves that the named workflow published exactly this file; it does not prove the workflow
or its repository are trustworthy. A document that cannot be verified is shown with what it
claims and the reason, as unverified. Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

__all__ = ["ProvenanceClaim", "read_provenance"]


@dataclass(frozen=True)
class ProvenanceClaim:
    """What one attestation bundle says about one file, and whether that was verified."""

    filename: str
    publisher: str  # "GitHub: owner/repo, workflow release.yml" (the bundle's words)
    verified: bool
    detail: str  # what was verified, or why it could not be

    def describe(self) -> str:
        state = "verified" if self.verified else "UNVERIFIED"
        return f"{self.filename}: PEP 740 provenance {state}, publisher {self.publisher} ({self.detail})"


def _publisher(raw: Any) -> str:
    kind = getattr(raw, "kind", None) or (raw.get("kind") if isinstance(raw, dict) else None)
    fields = raw.model_dump() if hasattr(raw, "model_dump") else dict(raw) if isinstance(raw, dict) else {}
    parts = [f"{k} {v}" for k, v in fields.items() if k != "kind" and v and k in (
        "repository", "workflow", "environment", "workflow_filepath", "email", "project_slug",
        "pipeline_definition_path", "vcs_origin")]
    return f"{kind or 'unknown kind'}: {', '.join(parts) or 'no identity given'}"[:300]


def _claimed_publisher(document: Any) -> dict[str, Any]:
    """The first bundle's publisher of a document that did not validate, as far as readable."""
    bundles = document.get("attestation_bundles") if isinstance(document, dict) else None
    first = bundles[0] if isinstance(bundles, list) and bundles else None
    publisher = first.get("publisher") if isinstance(first, dict) else None
    return publisher if isinstance(publisher, dict) else {}


def read_provenance(document: Any, filename: str, sha256: str, *,
                    verify: bool = True) -> list[ProvenanceClaim]:
    """The claims of a provenance ``document`` (decoded JSON) about ``filename``.

    Each attestation is verified offline against its bundle's publisher and the file's
    ``sha256`` unless ``verify`` is false. A document that does not parse gives one
    unverified claim saying so.
    """
    from pydantic import ValidationError
    from pypi_attestations import AttestationError, Distribution, Provenance

    try:
        provenance = Provenance.model_validate(document)
    except (ValidationError, ValueError, TypeError) as exc:
        return [ProvenanceClaim(filename, _publisher(_claimed_publisher(document)), False,
                                f"not a valid PEP 740 provenance document ({type(exc).__name__})")]
    claims = []
    dist = Distribution(name=filename, digest=sha256)
    # Sigstore logs that its trust root is not refreshed offline: that is the point here.
    logging.getLogger("sigstore").setLevel(logging.ERROR)
    for bundle in provenance.attestation_bundles:
        who = _publisher(bundle.publisher)
        for attestation in bundle.attestations:
            if not verify:
                claims.append(ProvenanceClaim(filename, who, False, "verification not attempted"))
                continue
            try:
                kind, _ = attestation.verify(bundle.publisher, dist, offline=True)
            except AttestationError as exc:
                claims.append(ProvenanceClaim(filename, who, False, str(exc).splitlines()[0][:300]))
            except Exception as exc:  # noqa: BLE001 - sigstore's own errors: unverified, said why
                claims.append(ProvenanceClaim(filename, who, False, f"could not verify offline: "
                                              f"{type(exc).__name__}: {str(exc)[:200]}"))
            else:
                claims.append(ProvenanceClaim(filename, who, True,
                                              f"Sigstore signature and SHA-256 checked; statement {kind}"))
        if not bundle.attestations:
            claims.append(ProvenanceClaim(filename, who, False, "the bundle holds no attestation"))
    return claims
