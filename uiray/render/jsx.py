"""React target: turn a reply that is a React component (TSX/JSX) into a page the sandbox can render.

Many UI replies are not pages but components (`export default function App() { ... }` with hooks and
Tailwind classNames). A browser cannot run TSX, so we transpile it here with the esbuild binary that
`prepare_cdn()` caches (no network, ~5 ms a component) and wrap the result in a self-contained page:

    React + ReactDOM UMD   from the unpkg URLs the CDN shim answers from the local cache
    Tailwind play CDN      because most React replies style themselves with Tailwind utilities
    the transpiled module  in a CommonJS wrapper with a tiny `require`, run at DOMContentLoaded

Why CommonJS and not a bundle: esbuild's transform mode turns every import into `require("x")`, so one
function decides what an import means. 'react', 'react-dom' and 'react-dom/client' are the UMD globals;
anything else (lucide-react, framer-motion, './styles.css') is a stub module whose exports are harmless
components (they render their children; `motion.div` renders a div), so a reply is judged on its own
code, and the stubbed names are returned for the caller to report. JSX uses the classic factory
(React.createElement), which works whether or not the reply imports React.

What gets mounted: the default export, else `App`, else the last capitalised top-level function or const
that holds a component. It is mounted into <body>, not a <div id="root">: React listens for every event
type on its root container, and the interaction probe would count a root div as a control that does
nothing when clicked (the body is never a probe candidate). A reply that mounts itself (createRoot /
ReactDOM.render) gets the element it looks up and is left to do so. Our scripts sit in <head>, so their
text does not count as page text. The first render is flushed synchronously, so a component that throws
shows up as a page error before the load event.

    page = component_page(extract_component(reply))   # raises JsxError when the code does not compile
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

from uiray.render.cdn import cdn_dir

REACT_URL = "https://unpkg.com/react@18/umd/react.production.min.js"
REACT_DOM_URL = "https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"
TAILWIND_URL = "https://cdn.tailwindcss.com"
REACT_MODULES = ("react", "react-dom", "react-dom/client", "react/jsx-runtime")
"""Imports answered by the UMD globals; every other import is stubbed."""
TRANSPILE_TIMEOUT_S = 10.0

_CODE_LANGS = {"jsx", "tsx", "js", "javascript", "ts", "typescript", "react"}
_FENCE = re.compile(
    r"^(?P<ticks>`{3,})[ \t]*(?P<lang>[\w+#.-]*)[^\n]*\n(?P<body>.*?)(?:^(?P=ticks)`*[ \t]*$|\Z)",
    re.DOTALL | re.MULTILINE,
)
_PAGE = re.compile(r"<!doctype\s+html|<html[\s>]", re.I)
# JSX starts where an expression can: after return, =>, an opening bracket, an operator or a comma. This
# keeps TypeScript generics (useState<number>) and markup inside JS strings ('<div>') out.
_JSX = re.compile(r"(?:\breturn|=>|[(?:,=&|{\[])\s*<(?:>|[A-Za-z][\w.:-]*[\s/>])")
_REACT_IMPORT = re.compile(r"""from\s+['"]react(?:-dom)?(?:/client)?['"]|require\(\s*['"]react['"]\s*\)""")
_COMPONENT_DEF = re.compile(r"^\s*(?:export\s+)?(?:default\s+)?(?:function|const|let|var|class)\s+([A-Z]\w*)", re.M)
_CODE_START = re.compile(r"""^(?:import|export|function|const|let|var|class|type|interface|['"]use client|//|/\*)""")
_SELF_MOUNT = re.compile(r"\bcreateRoot\s*\(|\bhydrateRoot\s*\(|\bReactDOM\.render\s*\(")
_MOUNT_ID = re.compile(r"""getElementById\(\s*['"]([\w-]+)['"]\s*\)""")
_REQUIRE = re.compile(r"""\brequire\("([^"\\]*)"\)""")  # esbuild writes every import as require("name")


class JsxError(Exception):
    """The component cannot be transpiled (esbuild's message), or esbuild is not installed."""


class Transpiled(NamedTuple):
    js: str
    """The component as a CommonJS module (expects `module`, `exports` and `require` in scope)."""
    stubbed: tuple[str, ...]
    """Imports that are not React and were replaced by stub modules, in order of first use."""
    components: tuple[str, ...]
    """Capitalised top-level names in the source, the mount candidates after the default export."""
    container_id: str | None
    """For a reply that mounts itself (createRoot), the id of the element it mounts into; else None."""


def extract_component(reply: str) -> str | None:
    """Return the React component code in `reply`, or None when it holds none (plain JS, an HTML page).

    Code fences tagged jsx/tsx/js/ts (or untagged) are tried; among those that look like components
    the one defining `App`, else one with a default export, else the first wins. Without fences, the
    whole reply counts when it starts like code and looks like a component.
    """
    fences = [(m.group("lang").lower(), m.group("body").strip()) for m in _FENCE.finditer(reply)]
    if fences:
        bodies = [body for lang, body in fences if (lang in _CODE_LANGS or not lang) and _is_component(body)]
        if not bodies:
            return None
        return max(bodies, key=lambda body: ("App" in _COMPONENT_DEF.findall(body), "export default" in body))
    bare = reply.strip()
    return bare if _CODE_START.match(bare) and _is_component(bare) else None


def _is_component(code: str) -> bool:
    if _PAGE.search(code):
        return False
    react = bool(_REACT_IMPORT.search(code))
    defines = "export default" in code or bool(_COMPONENT_DEF.search(code))
    return (bool(_JSX.search(code)) and (react or defines)) or (react and defines)


def esbuild_binary(root: Path | None = None) -> Path:
    """The cached esbuild executable (npm's install script puts the native binary at bin/esbuild)."""
    binary = (root or cdn_dir()) / "node_modules" / "esbuild" / "bin" / "esbuild"
    if not binary.is_file():
        raise JsxError(f"esbuild is not installed at {binary}: run `python -m uiray.render.cdn` (setup.sh does)")
    return binary


def transpile(source: str, timeout_s: float = TRANSPILE_TIMEOUT_S) -> Transpiled:
    """TSX/JSX (types, hooks, imports) -> a CommonJS module; raises JsxError with esbuild's message."""
    command = [
        str(esbuild_binary()),
        "--loader=tsx",  # a superset: plain JSX, and TypeScript annotations, both parse
        "--format=cjs",  # imports become require("x"), answered by the page's require shim
        "--jsx-factory=React.createElement",
        "--jsx-fragment=React.Fragment",
        "--log-level=error",
        "--color=false",
    ]
    try:
        done = subprocess.run(command, input=source, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as e:
        raise JsxError(f"esbuild took longer than {timeout_s} s") from e
    if done.returncode != 0:
        raise JsxError(done.stderr.strip() or f"esbuild exited with {done.returncode}")
    modules = dict.fromkeys(_REQUIRE.findall(done.stdout))
    names = dict.fromkeys(_COMPONENT_DEF.findall(source))
    container = _MOUNT_ID.search(source)
    container_id = (container[1] if container else "root") if _SELF_MOUNT.search(source) else None
    return Transpiled(
        js=done.stdout,
        stubbed=tuple(name for name in modules if name not in REACT_MODULES),
        components=tuple(names),
        container_id=container_id,
    )


def component_page(source: str, title: str = "App") -> str:
    """Transpile `source` and return a self-contained HTML page that mounts it; raises JsxError."""
    return wrap_component(transpile(source), title)


def wrap_component(component: Transpiled, title: str = "App") -> str:
    """The HTML page for an already transpiled component."""
    # Whatever is left of the code must not close our <script> (esbuild already escapes it in strings).
    code = re.sub(r"</(script)", r"<\\/\1", component.js, flags=re.I)
    # Capture the candidates from inside the module's scope; typeof keeps an undeclared name harmless.
    scope = ", ".join(f"{json.dumps(n)}: typeof {n} === 'undefined' ? undefined : {n}" for n in component.components)
    self_mounted = component.container_id is not None
    mount = "null" if self_mounted else json.dumps(["App", *reversed(component.components)])
    container = f'<div id="{html.escape(component.container_id)}"></div>' if self_mounted else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<script src="{REACT_URL}"></script>
<script src="{REACT_DOM_URL}"></script>
<script src="{TAILWIND_URL}"></script>
<script>
{_RUNTIME}
addEventListener('DOMContentLoaded', () => {{
  const module = {{exports: {{}}}};
  const scope = (function (module, exports, require) {{
{code}
;return {{{scope}}};
  }})(module, module.exports, __uirayRequire);
  __uirayMount(module.exports, scope, {mount});
}});
</script>
</head>
<body>{container}</body>
</html>
"""


# require() for the transpiled module, the stub modules, and the mount. A stub module is an object whose
# prototype is a Proxy, so any named import (and esbuild's __toESM copy of it, made from that prototype)
# resolves to a stub component; stub components answer Capitalised members (Select.Trigger) with more
# stubs and HTML/SVG tag names (motion.div) with that element, and nothing else (React reads props such
# as defaultProps off component types; those must stay undefined). Lookups are memoised: a stub type that
# changed identity on every render would remount its children and lose their state.
_RUNTIME = """const __uirayRequire = (() => {
  const jsx = (type, props, key) => React.createElement(type, key === undefined ? props : {...props, key});
  const known = {'react': React, 'react-dom': ReactDOM, 'react-dom/client': ReactDOM,
                 'react/jsx-runtime': {jsx, jsxs: jsx, Fragment: React.Fragment}};
  const svg = new Set(['svg', 'path', 'circle', 'rect', 'g', 'line', 'polyline', 'polygon', 'ellipse', 'text']);
  const motionProps = new Set(['initial', 'animate', 'exit', 'transition', 'variants', 'whileHover', 'whileTap',
    'whileFocus', 'whileDrag', 'whileInView', 'layout', 'layoutId', 'drag', 'dragConstraints', 'viewport',
    'custom', 'onAnimationStart', 'onAnimationComplete']);
  const isTag = k => /^[a-z][a-z0-9]*$/.test(k) &&
    (svg.has(k) || !(document.createElement(k) instanceof HTMLUnknownElement));
  const element = tag => props => React.createElement(tag,
    Object.fromEntries(Object.entries(props || {}).filter(([k]) => !motionProps.has(k))));
  const memo = (make) => { const seen = new Map();
    return k => seen.has(k) ? seen.get(k) : (seen.set(k, make(k)), seen.get(k)); };
  const component = () => {
    const member = memo(k => /^[A-Z]/.test(k) ? component() : isTag(k) ? element(k) : undefined);
    return new Proxy(function Stub(props) {
      return props && props.children !== undefined ? React.createElement(React.Fragment, null, props.children) : null;
    }, {get: (target, k, receiver) => typeof k !== 'string' || k in target ? Reflect.get(target, k, receiver)
        : member(k)});
  };
  const stub = () => {
    const exported = memo(() => component());
    return Object.create(new Proxy({}, {get: (target, k, receiver) =>
      typeof k !== 'string' || k === 'then' || k in target ? Reflect.get(target, k, receiver) : exported(k)}),
      {__esModule: {value: true}});
  };
  const modules = {};
  return name => known[name] || (modules[name] = modules[name] || stub());
})();
const __uirayMount = (exports, scope, candidates) => {
  if (candidates === null) return;  // the reply mounts itself
  const isComponent = c => typeof c === 'function' || (c !== null && typeof c === 'object' && '$$typeof' in c);
  const found = [exports && exports.default, ...candidates.map(n => scope[n] || (exports && exports[n]))];
  const Component = found.find(isComponent);
  if (!Component) throw new Error('no React component to mount (no default export, App, or capitalised component)');
  const root = ReactDOM.createRoot(document.body);
  ReactDOM.flushSync(() => root.render(React.createElement(Component)));
};"""
