"""The one vendored JavaScript library (duoflow/console/static/svg-pan-zoom.min.js) keeps its licence and says which
release it is, and the page loads that file (no build step, no CDN)."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "duoflow" / "console" / "static"


def test_the_vendored_file_carries_its_licence_and_release():
    head = (STATIC / "svg-pan-zoom.min.js").read_text(encoding="utf-8")[:3000]
    assert head.startswith("/*! svg-pan-zoom 3.6.2 (BSD-2-Clause)")
    assert "Copyright 2009-2010 Andrea Leofreddi" in head
    assert "Redistributions of source code must retain the above copyright notice" in head
    assert "// svg-pan-zoom v3.6.2" in head  # the release's own header, after the licence


def test_the_page_loads_it_from_the_server_before_its_own_script():
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    assert page.index('src="/static/svg-pan-zoom.min.js"') < page.index('src="/static/app.js"')
