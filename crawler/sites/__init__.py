"""Registry of site profiles.

A new site is one module here defining PROFILE, listed in _MODULES.
"""
from __future__ import annotations

from importlib import import_module

from .base import Layout, SiteProfile

_MODULES = ("wordpress", "sample", "nationalinterest", "moderndiplomacy", "ottawacitizen")
DEFAULT_PROFILE_ID = "wordpress"


def _load() -> dict[str, SiteProfile]:
    profiles = {}
    for name in _MODULES:
        profile = import_module(f"{__name__}.{name}").PROFILE
        profiles[profile.id] = profile
    return profiles


_PROFILES = _load()


def all_profiles() -> list[SiteProfile]:
    return list(_PROFILES.values())


def get_profile(site_id: str | None) -> SiteProfile:
    """The profile with this id; KeyError for an unknown id (None gives the default)."""
    if site_id is None:
        return _PROFILES[DEFAULT_PROFILE_ID]
    return _PROFILES[site_id]


def profile_for_url(url: str) -> SiteProfile:
    """The profile whose hosts include the URL's host, else the generic WordPress one."""
    for profile in _PROFILES.values():
        if profile.hosts and profile.handles_url(url):
            return profile
    return _PROFILES[DEFAULT_PROFILE_ID]


__all__ = ["Layout", "SiteProfile", "all_profiles", "get_profile", "profile_for_url"]
