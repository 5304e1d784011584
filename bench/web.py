"""The web page's speed on a real store, beside baselines in the same process.

    sanctions init --empty --store S
    sanctions import ../shared/data/ofac-sdn/sdn-*.csv.gz --store S
    python -m bench.web --store S

For one entity (the one with the most events) and for the list, the median of N renders
through Flask's test client, each beside the JSON twin of the same answer (the fold and
the §8 JSON alone) and the picture alone, reported as ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from itertools import count
from uuid import UUID

from domain.dates import DateInterval, parse_date
from events_log.app import SanctionsApp
from events_log.store import resolve_store
from projections import picture, timeline
from projections.views import Horizon, record_of
from projections.web import create_app


def median_ms(action: Callable[[], object], rounds: int) -> float:
    action()  # warm
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", required=True)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    app = SanctionsApp(resolve_store(args.store, {}))
    client = create_app(app, token="bench").test_client()
    timeline.catch_up(app)
    heads = timeline.timeline_view(app).select("SELECT entity_id FROM timeline_entities")
    sizes = {h[0]: len(app.entity_events(UUID(h[0]))) for h in heads[:: max(1, len(heads) // 400)]}
    busiest = max(sizes, key=lambda e: sizes[e])
    hex_id = UUID(busiest).hex
    record = record_of(busiest, app.entity_events(UUID(busiest)), Horizon())
    print(f"store: {len(heads)} entities; entity {record.name!r}: {sizes[busiest]} events")

    def get(url: str) -> Callable[[], object]:
        def fetch() -> object:
            response = client.get(url)
            assert response.status_code == 200, url
            return response

        return fetch

    days = count(1)

    def first_view() -> object:
        # A new as-of day each time: the picture is drawn, not taken from the page's cache.
        day = date.fromordinal(date(2000, 1, 1).toordinal() + next(days))
        return get(f"/entity/{hex_id}?as_of={day.isoformat()}")()

    rows = [
        ("entity page, a new as-of date", median_ms(first_view, args.rounds)),
        ("entity page, again", median_ms(get(f"/entity/{hex_id}"), args.rounds)),
        ("  twin /api/status?name=ID", median_ms(get(f"/api/status?name={hex_id}"), args.rounds)),
        ("  twin /api/history/ID", median_ms(get(f"/api/history/{hex_id}"), args.rounds)),
        (
            "  picture alone (SVG, with its legend)",
            median_ms(lambda: picture.render(picture.entity_groups([record]), "svg"), args.rounds),
        ),
        ("list page / (page 1 of all)", median_ms(get("/"), max(3, args.rounds // 4))),
        ("list page /?q=bank", median_ms(get("/?q=bank"), max(3, args.rounds // 4))),
        (
            "  baseline timeline.statuses (all)",
            median_ms(lambda: timeline.statuses(app, _today()), max(3, args.rounds // 4)),
        ),
    ]
    page = rows[0][1]
    for label, ms in rows:
        print(f"{label:38} {ms:8.1f} ms   {ms / page:6.2f} x the entity page")


def _today() -> DateInterval:
    return parse_date(datetime.now(UTC).date().isoformat(), cap=False)


if __name__ == "__main__":
    main()
