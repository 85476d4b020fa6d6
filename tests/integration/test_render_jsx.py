"""React replies, transpiled and mounted by uiray.render.jsx, render and respond in the real sandbox."""

import pytest

from uiray.render.jsx import component_page, transpile

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNTER = """import React, { useState } from 'react';

interface Props { step?: number }

export default function Counter({ step = 1 }: Props) {
  const [count, setCount] = useState<number>(0);
  return (
    <div className="p-8">
      <p>Count: {count}</p>
      <button onClick={() => setCount(c => c + step)}>Add</button>
    </div>
  );
}
"""


def render(pool, source: str, probe: bool = False):
    result = pool.run(pool.render(component_page(source), probe=probe))
    assert result["ok"], result["error"]
    assert result["blocked_requests"] == []  # React, ReactDOM and Tailwind all came from the CDN shim
    return result


def test_tsx_counter_with_use_state_is_interactive(pool):
    result = render(pool, COUNTER, probe=True)
    assert result["page_errors"] == []
    assert result["probe"]["interactivity"] == 1.0
    assert [c["tag"] for c in result["probe"]["controls"]] == ["button"]  # the React root is not a control
    assert result["dom"]["text_chars"] == len("Count: 0Add")  # our scripts are in <head>, not page text


def test_tailwind_class_names_style_the_component(pool):
    # The component reports the computed style of its own element in the title, after load.
    source = """import { useEffect, useRef } from "react";
function Card() {
  const ref = useRef(null);
  useEffect(() => {
    const report = () => setTimeout(() => {
      const style = getComputedStyle(ref.current);
      document.title = style.paddingTop + " " + style.display;
    }, 0);
    document.readyState === "complete" ? report() : addEventListener("load", report);
  }, []);
  return <div ref={ref} className="p-4 flex bg-blue-500 text-white">styled card</div>;
}
"""
    result = render(pool, source)
    assert result["page_errors"] == []
    assert result["dom"]["title"] == "16px flex"


def test_component_that_throws_while_rendering_is_a_page_error(pool):
    source = """export default function Broken() {
  const items: string[] | undefined = undefined;
  return <ul>{items!.map(item => <li key={item}>{item}</li>)}</ul>;
}
"""
    result = render(pool, source)
    assert any("reading 'map'" in error for error in result["page_errors"])


def test_stubbed_libraries_render_children_and_keep_their_state(pool):
    # lucide-react and framer-motion are not available: icons render nothing and motion.section renders a
    # section. App re-renders once right after mounting; Tally, inside the stubs, must not remount then
    # (stub types are stable), so it counts one mount in the title.
    source = """import { useLayoutEffect, useState } from 'react';
import { Plus } from 'lucide-react';
import { motion, AnimatePresence } from 'framer-motion';

const Tally = () => {
  const [n, setN] = useState(0);
  useLayoutEffect(() => { window.mounts = (window.mounts || 0) + 1; document.title = `mounts ${window.mounts}`; }, []);
  return <button className="flex gap-2" onClick={() => setN(n + 1)}><Plus size={16} />{n} taps</button>;
};

export default function App() {
  const [fresh, setFresh] = useState(true);
  useLayoutEffect(() => setFresh(false), []);
  return (
    <AnimatePresence>
      <motion.section initial={{ opacity: 0 }} animate={{ opacity: 1 }} className={fresh ? "p-2" : "p-4"}>
        <Tally />
      </motion.section>
    </AnimatePresence>
  );
}
"""
    assert transpile(source).stubbed == ("lucide-react", "framer-motion")
    result = render(pool, source, probe=True)
    assert result["page_errors"] == []
    assert result["dom"]["title"] == "mounts 1"
    assert result["dom"]["text_chars"] == len("0 taps")
    assert result["probe"]["interactivity"] == 1.0


def test_reply_that_mounts_itself_is_left_to_do_so(pool):
    source = """import React from 'react';
import ReactDOM from 'react-dom/client';
function App() { return <h1>Hello from main.tsx</h1>; }
ReactDOM.createRoot(document.getElementById('root') as HTMLElement).render(
  <React.StrictMode><App /></React.StrictMode>
);
"""
    result = render(pool, source)
    assert result["page_errors"] == []
    assert result["dom"]["text_chars"] == len("Hello from main.tsx")
