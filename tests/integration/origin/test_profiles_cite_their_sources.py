"""Every parameter of every shipped profile cites a text that says it, verbatim."""

import re

import pytest

from opencustoms.origin.profiles.loader import shipped_profiles

PROFILES = shipped_profiles()


def _plain(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # Markdown links keep their words
    text = re.sub(r"[*_`]", "", text).replace("&nbsp;", " ")
    return " ".join(text.split())


def _citations(profile):
    found = [profile.psr_hs_edition_cite]
    for part in (
        profile.valuation,
        profile.tolerance,
        profile.insufficient_operations,
        profile.absorption,
        profile.transport,
        profile.tolerance.by_weight if profile.tolerance else None,
        profile.build_up,
        profile.sets,
    ):
        found.append(part.cite if part else None)
    found += [c.cite for c in profile.cumulation] + [p.cite for p in profile.proofs]
    return [c for c in found if c is not None]


@pytest.mark.parametrize("profile_id", sorted(PROFILES))
def test_citations_quote_their_source(shared_data, profile_id):
    profile = PROFILES[profile_id]
    citations = _citations(profile)
    assert citations, f"{profile_id} cites nothing"
    for cite in citations:
        path = shared_data / profile.source / cite.file
        assert path.is_file(), f"{profile_id}: {cite.file} does not exist"
        assert _plain(cite.quote) in _plain(path.read_text(encoding="utf-8")), (
            f"{profile_id}: '{cite.quote[:60]}...' is not in {cite.file}"
        )
