"""The JavaScript and CSS the maps load: from a CDN, or embedded for offline use.

The assets are npm packages pinned in ``ductplanner/assets/package.json`` (and
its lock file). They are installed, never committed, with::

    npm ci --prefix ductplanner/assets

A map that links to a CDN uses the same pinned versions, so both kinds of map
run the same code. An embedded (self-contained) map inlines every file, with
the images the CSS refers to turned into ``data:`` URIs, so it opens with no
internet at all (apart from the basemap tiles).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..core._errors import MissingInputError

__all__ = [
    "ASSETS",
    "ASSETS_DIR",
    "Asset",
    "asset_tags",
    "assets_installed",
    "install_command",
]

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
"""Folder of ``package.json``; ``npm ci`` installs into its ``node_modules``."""

CDN = "https://cdn.jsdelivr.net/npm"


@dataclass(frozen=True)
class Asset:
    """One file of an npm package that a map loads.

    Attributes
    ----------
    package : str
        npm package name, pinned in ``package.json``.
    path : str
        File inside the package.
    kind : {"js", "css"}
        Script or stylesheet.
    """

    package: str
    path: str
    kind: str


ASSETS: tuple[Asset, ...] = (
    Asset("leaflet", "dist/leaflet.css", "css"),
    Asset("leaflet.markercluster", "dist/MarkerCluster.css", "css"),
    Asset("leaflet.markercluster", "dist/MarkerCluster.Default.css", "css"),
    Asset("leaflet", "dist/leaflet.js", "js"),
    Asset("leaflet.markercluster", "dist/leaflet.markercluster.js", "js"),
)
"""Every file a map loads, in load order (Leaflet before its plugin)."""


def install_command(assets_dir: Path = ASSETS_DIR) -> str:
    """Return the shell command that installs the pinned assets."""
    return f"npm ci --prefix {assets_dir}"


@cache
def _pinned_versions(assets_dir: Path) -> dict[str, str]:
    path = assets_dir / "package.json"
    if not path.is_file():
        raise MissingInputError(
            f"{path} is missing: it pins the map's JavaScript packages; reinstall ductplanner "
            f"or restore the file, then run `{install_command(assets_dir)}`"
        )
    manifest = json.loads(path.read_text(encoding="utf-8"))
    return dict(manifest["dependencies"])


def _cdn_url(asset: Asset, assets_dir: Path) -> str:
    version = _pinned_versions(assets_dir)[asset.package]
    return f"{CDN}/{asset.package}@{version}/{asset.path}"


def _check_installed(package: str, assets_dir: Path) -> Path:
    """Return the installed package folder; raise when absent or not the pinned version."""
    wanted = _pinned_versions(assets_dir)[package]
    folder = assets_dir / "node_modules" / package
    manifest = folder / "package.json"
    if not manifest.is_file():
        raise MissingInputError(
            f"the map asset package {package!r} is not installed in {folder.parent}; "
            f"a self-contained map embeds it. Install the map assets with "
            f"`{install_command(assets_dir)}` (needs npm), or render without --self-contained"
        )
    installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    if installed != wanted:
        raise MissingInputError(
            f"the map asset package {package!r} is version {installed} in {folder.parent}, "
            f"but {wanted} is pinned; reinstall with `{install_command(assets_dir)}`"
        )
    return folder


def assets_installed(assets_dir: Path = ASSETS_DIR) -> bool:
    """Return whether every pinned asset package is installed (for self-contained maps)."""
    try:
        for package in {a.package for a in ASSETS}:
            _check_installed(package, assets_dir)
    except MissingInputError:
        return False
    return True


_CSS_URL = re.compile(r"url\((['\"]?)(?!data:|#|https?:)([^'\")]+)\1\)")
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(text: str, folder: Path) -> str:
    """Replace every relative ``url(...)`` in a stylesheet with a data URI."""

    def replace(match: re.Match[str]) -> str:
        target = folder / match.group(2)
        if not target.is_file():
            raise MissingInputError(f"{target} (referred to by a stylesheet) is missing")
        return f'url("{_data_uri(target)}")'

    return _CSS_URL.sub(replace, text)


@cache
def _inline_tag(asset: Asset, assets_dir: Path) -> str:
    file = _check_installed(asset.package, assets_dir) / asset.path
    text = _SOURCE_MAP.sub("", file.read_text(encoding="utf-8"))
    if asset.kind == "css":
        return f"<style>\n{_inline_css(text, file.parent)}\n</style>"
    if "</script" in text.lower():
        raise MissingInputError(f"{file} contains '</script' and cannot be inlined safely")
    return f"<script>\n{text}\n</script>"


def asset_tags(*, self_contained: bool, assets_dir: Path = ASSETS_DIR) -> str:
    """Return the ``<script>`` and ``<style>``/``<link>`` tags a map's head needs.

    Parameters
    ----------
    self_contained : bool
        Embed every file (needs the installed packages) instead of linking
        to the CDN copy of the same pinned version.
    assets_dir : Path
        Folder of ``package.json`` and ``node_modules``.

    Raises
    ------
    MissingInputError
        When embedding and a package is not installed; the message says
        which one and the command that installs it.
    """
    assets_dir = Path(assets_dir)
    tags = []
    for asset in ASSETS:
        if self_contained:
            tags.append(_inline_tag(asset, assets_dir))
        elif asset.kind == "css":
            tags.append(f'<link rel="stylesheet" href="{_cdn_url(asset, assets_dir)}"/>')
        else:
            tags.append(f'<script src="{_cdn_url(asset, assets_dir)}"></script>')
    return "\n".join(tags)
