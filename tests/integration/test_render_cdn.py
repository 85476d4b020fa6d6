"""Pages that load libraries from public CDNs render with the locally cached copies."""

import pytest

from uiray.render.cdn import CDN_PACKAGES, CdnShim

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Each page reports what it sees in document.title once loaded (after the libraries ran).
REPORT = "<script>addEventListener('load', () => setTimeout(() => document.title = report(), 0))</script>"


def render(pool, body: str, probe: bool = False):
    result = pool.run(pool.render(f"<!DOCTYPE html><html><head>{REPORT}</head><body>{body}</body></html>", probe=probe))
    assert result["ok"], result["error"]
    return result


def test_every_pinned_package_is_cached():
    assert CdnShim().available == set(CDN_PACKAGES)


def test_tailwind_play_cdn_styles_the_page(pool):
    body = """<script src="https://cdn.tailwindcss.com"></script>
    <div id="box" class="p-4 flex">styled</div>
    <script>function report() { const s = getComputedStyle(box); return s.paddingTop + ' ' + s.display }</script>"""
    result = render(pool, body)
    assert result["dom"]["title"] == "16px flex"
    assert result["blocked_requests"] == []


def test_v3_style_tailwind_config_does_not_break_the_page(pool):
    body = """<script src="https://cdn.tailwindcss.com"></script>
    <script>tailwind.config = {theme: {extend: {colors: {brand: '#123456'}}}}</script>
    <div id="box" class="p-4 flex">styled</div>
    <script>function report() { const s = getComputedStyle(box); return s.paddingTop + ' ' + s.display }</script>"""
    result = render(pool, body)
    assert result["page_errors"] == [] and result["dom"]["title"] == "16px flex"


def test_umd_libraries_from_unpkg_jsdelivr_and_cdnjs(pool):
    body = """<script src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
    <script src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
    <script src="https://cdn.jsdelivr.net/npm/chart.js"></script>
    <script src="https://cdnjs.cloudflare.com/ajax/libs/Chart.js/4.4.1/chart.umd.min.js"></script>
    <canvas id="c" width="200" height="100"></canvas><div id="root"></div>
    <script>
      new Chart(c, {type: 'bar', data: {labels: ['a'], datasets: [{data: [1]}]}, options: {animation: false}});
      ReactDOM.createRoot(root).render(React.createElement('p', {id: 'r'}, 'from react'));
      function report() { return typeof Chart + ' ' + (document.getElementById('r') || {}).textContent }
    </script>"""
    result = render(pool, body)
    assert result["dom"]["title"] == "function from react"
    assert result["page_errors"] == [] and result["blocked_requests"] == []


def test_alpine_counter_is_interactive(pool):
    body = """<script defer src="https://cdn.jsdelivr.net/npm/alpinejs@3.x.x/dist/cdn.min.js"></script>
    <div x-data="{ n: 0 }"><span x-text="n"></span><button @click="n++">+1</button></div>
    <script>function report() { return 'alpine' }</script>"""
    result = render(pool, body, probe=True)
    assert result["probe"]["interactivity"] == 1.0


def test_unknown_cdn_files_stay_blocked(pool):
    body = '<script src="https://unpkg.com/lodash@4"></script><script>function report() { return typeof _ }</script>'
    result = render(pool, body)
    assert result["dom"]["title"] == "undefined"
    assert result["blocked_requests"] == ["https://unpkg.com/lodash@4"]
