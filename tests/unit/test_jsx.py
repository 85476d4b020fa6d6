import pytest

from uiray.render.jsx import (
    REACT_URL,
    TAILWIND_URL,
    JsxError,
    component_page,
    esbuild_binary,
    extract_component,
    transpile,
)


def _esbuild_installed() -> bool:
    try:
        esbuild_binary()
    except JsxError:
        return False
    return True


needs_esbuild = pytest.mark.skipif(not _esbuild_installed(), reason="esbuild missing: python -m uiray.render.cdn")

COUNTER = """import React, { useState } from 'react';

type Props = { start?: number };

export default function Counter({ start = 0 }: Props) {
  const [count, setCount] = useState<number>(start);
  return <button onClick={() => setCount(count + 1)}>Clicked {count} times</button>;
}
"""
PAGE = "<!DOCTYPE html>\n<html><body><div id='root'></div></body></html>"


def test_tsx_fence_is_extracted_from_chatter():
    reply = f"Here is the counter:\n```tsx\n{COUNTER}```\nIt uses hooks."
    assert extract_component(reply) == COUNTER.strip()


def test_fence_defining_app_wins_over_other_component_fences():
    button = "export default function Button() { return <button>ok</button> }"
    app = "import Button from './Button'\nexport default function App() { return <main><Button /></main> }"
    reply = f"```jsx\n{button}\n```\n```jsx\n{app}\n```\n```css\nmain {{}}\n```"
    assert extract_component(reply) == app


def test_bare_reply_that_starts_like_code_is_a_component():
    assert extract_component(COUNTER) == COUNTER.strip()
    assert extract_component("Sure! " + COUNTER) is None  # chatter first: esbuild could not parse it


@pytest.mark.parametrize(
    "reply",
    [
        "```js\ndocument.getElementById('app').innerHTML = '<div>hi</div>';\n```",  # plain DOM script
        "```javascript\nexport default function sum(a, b) { return a + b }\n```",  # a module, no UI
        "```ts\nconst xs: Array<number> = [1];\nfunction first<T>(a: T[]) { return a[0] }\n```",  # generics
        f"```jsx\n{PAGE}\n```",  # an HTML page in the wrong fence: extract_html's business
        f"```html\n{PAGE}\n```",
        f"```python\n{COUNTER}```",
        "Use useState for that.",
    ],
)
def test_non_components_are_not_extracted(reply):
    assert extract_component(reply) is None


def test_component_without_react_import_is_recognised_by_its_jsx():
    assert extract_component("```jsx\nfunction App() {\n  return (\n    <div>hi</div>\n  );\n}\n```")


@needs_esbuild
def test_tsx_with_types_and_hooks_transpiles_to_commonjs():
    out = transpile(COUNTER)
    assert "type Props" not in out.js and "<number>" not in out.js and ": Props" not in out.js  # types are gone
    assert 'require("react")' in out.js and "useState" in out.js
    assert "React.createElement" in out.js or ".createElement(" in out.js
    assert out.stubbed == () and out.components == ("Counter",) and out.container_id is None


@needs_esbuild
def test_unknown_imports_are_stubbed_and_recorded_in_order():
    source = """import { Heart } from 'lucide-react';
import { motion } from "framer-motion";
import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
export default () => <motion.div><Heart /></motion.div>;
"""
    assert transpile(source).stubbed == ("lucide-react", "framer-motion", "./styles.css")


@needs_esbuild
def test_compile_error_carries_esbuilds_message():
    with pytest.raises(JsxError, match=r'(?s)closing "div" tag does not match opening "span" tag.*<stdin>:2:'):
        transpile("export default function App() {\n  return <div><span>hi</div>;\n}\n")


def test_missing_esbuild_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("UIRAY_CACHE", str(tmp_path))
    with pytest.raises(JsxError, match=r"python -m uiray\.render\.cdn"):
        transpile(COUNTER)


@needs_esbuild
def test_page_loads_react_and_tailwind_from_the_shimmed_cdns():
    page = component_page(COUNTER, title="Counter <1>")
    assert page.startswith("<!DOCTYPE html>") and "<title>Counter &lt;1&gt;</title>" in page
    assert f'<script src="{REACT_URL}">' in page and f'<script src="{TAILWIND_URL}">' in page
    assert "<body></body>" in page  # mounted into <body>: a root div would count as a dead control


@needs_esbuild
def test_script_end_tags_in_the_code_cannot_close_the_page_script():
    page = component_page("export default () => <p>{'</script><b>'}</p> // </script>")
    assert page.lower().count("</script>") == 4  # react, react-dom, tailwind, ours


@needs_esbuild
def test_self_mounting_reply_gets_the_element_it_looks_up():
    source = """import { createRoot } from 'react-dom/client';
function App() { return <p>hi</p> }
createRoot(document.getElementById('app')!).render(<App />);
"""
    assert transpile(source).container_id == "app"
    assert '<body><div id="app"></div></body>' in component_page(source)
