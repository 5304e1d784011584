"""Make the README's pictures with the tool itself: a timeline (``sanctions timeline``) and
a screenshot of the entity page (``sanctions serve`` in headless Chromium).

    python docs/make_pictures.py
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser import chromium, server  # noqa: E402
from cli import main  # noqa: E402

DOCS = ROOT / "docs"


def run(*argv: str) -> None:
    out = io.StringIO()
    code = main(list(argv), stdout=out, stderr=out)
    if code != 0:
        raise SystemExit(out.getvalue())
    print(out.getvalue().strip())


def make() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = str(Path(folder) / "s.sqlite")
        run("init", "--store", store)
        for suffix in ("svg", "png"):
            run(
                "timeline",
                "Norinco",
                "Kunlun Bank",
                "China",
                "--store",
                store,
                "-o",
                str(DOCS / f"timeline.{suffix}"),
            )
        with server(Path(store)) as base, chromium(1100, 1400) as driver:
            driver.get(base + "/?q=Norinco")
            link = driver.find_element("css selector", "a.entity")
            driver.get(link.get_attribute("href") + "?as_of=2007")
            driver.save_screenshot(str(DOCS / "entity-page.png"))
            print(f"wrote {DOCS / 'entity-page.png'}")


if __name__ == "__main__":
    make()
