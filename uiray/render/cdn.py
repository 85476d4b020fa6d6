"""CDN shim: answer the public-CDN URLs that generated pages load, from npm packages cached locally.

Model outputs pull Tailwind's play CDN, Chart.js, React UMD, Alpine... from unpkg, jsDelivr, cdnjs and
cdn.tailwindcss.com. The sandbox has no network, so without this those pages render unstyled and
broken, and the reward would punish the model for the sandbox. `prepare_cdn()` (run by setup.sh)
installs pinned packages with npm into $UIRAY_CACHE/cdn; `CdnShim.lookup(url)` maps a URL to a file.
The requested version is ignored: every URL of a package gets the cached version. Anything else
stays blocked and is reported by the sandbox.

    python -m uiray.render.cdn     # install the packages (idempotent)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from uiray.models import cache_dir

CDN_PACKAGES = {
    "@tailwindcss/browser": "4.3.4",
    "chart.js": "4.6.1",
    "react": "18.3.1",
    "react-dom": "18.3.1",
    "alpinejs": "3.17.5",
    "axe-core": "4.14.1",
}
# Build tools installed next to the CDN packages but never served to pages: esbuild transpiles React replies (jsx.py).
TOOL_PACKAGES = {"esbuild": "0.28.2"}
TAILWIND_PLAY = "@tailwindcss/browser"  # cdn.tailwindcss.com (v3 play CDN) is served by the v4 browser build
# Pages written for the v3 play CDN set `tailwind.config = {...}` right after loading it; the v4 build has
# no `tailwind` global, so that line would throw and fail the page. Give them an object to write to
# (their theme extensions are ignored; the default palette and utilities still apply).
TAILWIND_V3_GLOBAL = b"\n;window.tailwind = window.tailwind || {config: {}};\n"
CDNJS_NAMES = {"Chart.js": "chart.js", "react": "react", "react-dom": "react-dom", "alpinejs": "alpinejs",
               "axe-core": "axe-core", "tailwindcss-browser": TAILWIND_PLAY}  # fmt: skip
CONTENT_TYPES = {".js": "application/javascript", ".mjs": "application/javascript", ".css": "text/css",
                 ".json": "application/json", ".map": "application/json"}  # fmt: skip
# unpkg.com/<pkg>@<version>/<path> and cdn.jsdelivr.net/npm/<pkg>@<version>/<path>; scoped names allowed.
_NPM_PATH = re.compile(r"^/(?:npm/)?(?P<name>@[^/@]+/[^/@]+|[^/@]+)(?:@[^/]*)?(?P<path>/.*)?$")


def cdn_dir() -> Path:
    return cache_dir() / "cdn"


def prepare_cdn(root: Path | None = None) -> Path:
    """npm-install the pinned CDN and tool packages into the cache (skipped when all are at the pinned versions)."""
    root = root or cdn_dir()
    pinned = CDN_PACKAGES | TOOL_PACKAGES
    if _installed(root, pinned) == pinned:
        return root
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to build the CDN cache: apt-get install -y npm (or install Node.js)")
    root.mkdir(parents=True, exist_ok=True)
    specs = [f"{name}@{version}" for name, version in pinned.items()]
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(root), *specs], check=True)
    return root


def _installed(root: Path, packages: dict[str, str]) -> dict[str, str]:
    found = {}
    for name in packages:
        manifest = root / "node_modules" / name / "package.json"
        if manifest.is_file():
            found[name] = json.loads(manifest.read_text())["version"]
    return found


class CdnShim:
    """Maps CDN URLs to (content type, bytes) from the local cache; None for anything unknown."""

    def __init__(self, root: Path | None = None):
        self.modules = (root or cdn_dir()) / "node_modules"
        self.available = set(_installed(self.modules.parent, CDN_PACKAGES))
        self._cache: dict[str, tuple[str, bytes] | None] = {}

    def lookup(self, url: str) -> tuple[str, bytes] | None:
        if url not in self._cache:
            file = self._resolve(url)
            body = None if file is None else file.read_bytes()
            if body is not None and urlsplit(url).hostname == "cdn.tailwindcss.com":
                body += TAILWIND_V3_GLOBAL
            self._cache[url] = None if file is None else (_content_type(file), body)
        return self._cache[url]

    def _resolve(self, url: str) -> Path | None:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
        if host == "cdn.tailwindcss.com":
            return self._package_file(TAILWIND_PLAY, "")
        if host == "unpkg.com" or (host == "cdn.jsdelivr.net" and path.startswith("/npm/")):
            match = _NPM_PATH.match(path)
            return self._package_file(match["name"], match["path"] or "") if match else None
        if host == "cdnjs.cloudflare.com":
            # /ajax/libs/<lib>/<version>/<file path>
            segments = path.split("/")
            if len(segments) >= 6 and segments[1:3] == ["ajax", "libs"]:
                name = CDNJS_NAMES.get(segments[3])
                return self._by_basename(name, segments[-1]) if name else None
        return None

    def _package_file(self, name: str, subpath: str) -> Path | None:
        if name not in self.available:
            return None
        package = self.modules / name
        if subpath.strip("/"):
            file = (package / subpath.lstrip("/")).resolve()
            inside = file.is_relative_to(package.resolve())
            return file if inside and file.is_file() else self._by_basename(name, Path(subpath).name)
        manifest = json.loads((package / "package.json").read_text())
        for field in ("unpkg", "jsdelivr", "browser", "main"):
            entry = manifest.get(field)
            if isinstance(entry, str) and (package / entry).is_file():
                return package / entry
        return None

    def _by_basename(self, name: str, basename: str) -> Path | None:
        """cdnjs and old version paths differ from npm layouts: find the file by name in dist/ or umd/."""
        if name not in self.available or not basename:
            return None
        package = self.modules / name
        for folder in ("dist", "umd", ""):
            candidate = package / folder / basename
            if candidate.is_file():
                return candidate
        return None


def _content_type(file: Path) -> str:
    return CONTENT_TYPES.get(file.suffix, "application/octet-stream")


if __name__ == "__main__":
    print(prepare_cdn())
