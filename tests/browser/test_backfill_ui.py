"""An analyst backfills a range of export days through the real Dagster UI, in headless Chromium.

`dagster dev` serves the project's code location over a tiny demo company; Playwright drives
Debian's Chromium (/usr/bin/chromium, never a downloaded browser) through the UI's own dialogs:
the daily_load job, "Materialize all…", a typed range of daily partitions, "Launch backfill", the
backfill page until it succeeds, the job's and an asset's partitions. What the pages show is then
checked against the Dagster instance and the warehouse. Screenshots of every step are kept in
test-artifacts/browser/.
"""

from __future__ import annotations

import csv
import re
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from tests.browser.dagster_ui import REPO_ROOT, REPOSITORY_PATH, DagsterDev

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (.ci/install-browser)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: make install (dev dependency group)")
expect = sync_api.expect

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"

# Five export days ending yesterday (the last complete daily partition); the analyst backfills the
# middle three, so the first and the last stay missing.
LAST_EXPORT_DAY = datetime.now(timezone.utc).date() - timedelta(days=1)  # partitions are UTC days
EXPORT_DAYS = [LAST_EXPORT_DAY - timedelta(days=n) for n in range(4, -1, -1)]
BACKFILLED = [day.isoformat() for day in EXPORT_DAYS[1:4]]
SHOWN_ASSET = ("erp", "inventory")  # end-of-day stock per product and plant: records on every export day

READY_TIMEOUT = 240
BACKFILL_TIMEOUT = 480


class Screenshots:
    """Numbered full-page screenshots of one test, kept in test-artifacts/browser/."""

    def __init__(self, page, folder: Path) -> None:
        self.page, self.folder, self.count = page, folder, 0

    def take(self, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path


@pytest.fixture
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture
def salesops_home(tmp_path: Path) -> Path:
    """A tiny demo company: three months of history, daily exports on EXPORT_DAYS."""
    from demo_company import DemoConfig, generate

    home = tmp_path / "salesops"
    generate(home, DemoConfig(seed=7, scale=0.02, start=LAST_EXPORT_DAY - timedelta(days=90),
                              end=LAST_EXPORT_DAY, first_export=EXPORT_DAYS[0]))
    return home


@pytest.fixture
def dagster_ui(salesops_home: Path, tmp_path: Path, artifacts: Path) -> Iterator[DagsterDev]:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO_ROOT / "orchestration" / "dagster.yaml", dagster_home / "dagster.yaml")
    ui = DagsterDev(salesops_home, dagster_home, log=artifacts / "dagster-dev.log")
    ui.start()
    try:
        ui.ready_seconds = ui.wait_until_ready(READY_TIMEOUT)
        yield ui
    finally:
        ui.stop()


@pytest.fixture
def page(artifacts: Path):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            # A fresh instance greets its first visitor with a newsletter dialog: skip it whenever it shows.
            page.add_locator_handler(page.get_by_role("button", name="Skip"), lambda skip: skip.click())
            yield page
        finally:
            browser.close()


def partitioned_asset_keys(salesops_home: Path, monkeypatch: pytest.MonkeyPatch) -> list:
    """The assets of the daily_load job, from the same definitions the UI serves."""
    monkeypatch.setenv("SALESOPS_HOME", str(salesops_home))
    monkeypatch.delenv("SALESOPS_HISTORY_START", raising=False)
    from orchestration.definitions import build_definitions

    return sorted(node.key for node in build_definitions().resolve_asset_graph().asset_nodes if node.is_partitioned)


def wait_until_shown(page, place, text: str, timeout: float) -> None:
    """Wait until ``place()`` (a locator on ``page``) shows ``text``, reloading as a person would."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(place()).to_contain_text(text, timeout=15_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()


def labelled(page, label: str):
    """The block of a summary field: its label and, beside it, its value."""
    return page.get_by_text(label, exact=True).first.locator("xpath=..")


def export_days_in_landing(landing: Path, spec, days: list[str]) -> set[str]:
    folder = landing / spec.source / spec.object
    return {d.name for d in folder.glob("*") if d.name in days and any(f.is_file() for f in d.iterdir())}


def records_in_landing(landing: Path, source: str, export_object: str, days: list[str]) -> int:
    """Data records in the CSV exports of ``days``, counted with the csv module (not DuckDB)."""
    return sum(
        len(list(csv.DictReader(path.open(newline="", encoding="utf-8"))))
        for day in days
        for path in (landing / source / export_object / day).glob("*.csv")
    )


def test_an_analyst_backfills_three_export_days_through_the_ui(
    dagster_ui: DagsterDev, page, artifacts: Path, salesops_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg
    from dagster._core.execution.backfill import BulkActionStatus

    from orchestration.ingest.specs import load_specs

    shots = Screenshots(page, artifacts)
    asset_keys = partitioned_asset_keys(salesops_home, monkeypatch)
    first, last = BACKFILLED[0], BACKFILLED[-1]
    started = time.monotonic()
    try:
        # The daily_load job, as the analyst finds it under Jobs.
        page.goto(f"{dagster_ui.url}/locations/{REPOSITORY_PATH}/jobs/daily_load")
        expect(page.get_by_text("Load a range of export days into raw")).to_be_visible(timeout=60_000)
        shots.take("daily-load-job")

        # "Materialize all…" opens the launch dialog over the job's partitioned assets.
        # The button shows a spinner until the job's partitions have loaded; a click then does nothing.
        materialize_all = page.get_by_role("button", name="Materialize all…")
        expect(materialize_all.get_by_role("progressbar")).to_have_count(0, timeout=60_000)
        materialize_all.click()
        dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
        expect(dialog.get_by_text(f"Launch runs to materialize {len(asset_keys)} assets")).to_be_visible(
            timeout=30_000
        )
        expect(dialog.get_by_text(EXPORT_DAYS[0].isoformat(), exact=True)).to_be_visible()
        expect(dialog.get_by_text(EXPORT_DAYS[-1].isoformat(), exact=True)).to_be_visible()
        shots.take("launch-dialog")

        # The range typed into the partition selection, as Dagster writes ranges.
        selection = dialog.get_by_placeholder("No matching partitions")
        selection.click()
        selection.press_sequentially(f"[{first}...{last}]")
        selection.press("Enter")
        expect(dialog.get_by_text("3 partitions", exact=True)).to_be_visible()
        shots.take("range-selected")

        dialog.get_by_role("button", name="Launch backfill").click()
        created = page.get_by_text(re.compile(r"Created backfill \w+"))
        expect(created).to_be_visible()
        backfill_id = created.inner_text().split()[-1]
        created.hover()  # a toast stays while the pointer is on it
        shots.take("backfill-created")

        # The toast's "View" leads to the backfill's page; it says Succeeded when its run did.
        page.get_by_role("region", name=re.compile("Notifications")).get_by_text("View", exact=True).click()
        expect(page).to_have_url(re.compile(f"/runs/b/{backfill_id}"))
        wait_until_shown(page, lambda: labelled(page, "Status"), "Succeeded", BACKFILL_TIMEOUT)
        backfill_seconds = time.monotonic() - started
        shots.take("backfill-succeeded")

        page.get_by_role("tab", name="Runs").click()
        expect(page.get_by_text("daily_load", exact=True).first).to_be_visible()
        expect(page.get_by_text("Success", exact=True)).to_have_count(1, timeout=30_000)
        shots.take("backfill-run")

        # The job's partitions: five days, the two outside the range missing.
        page.goto(f"{dagster_ui.url}/locations/{REPOSITORY_PATH}/jobs/daily_load/partitions")
        expect(labelled(page, "Total partitions")).to_have_text("5Total partitions")
        expect(labelled(page, "Missing partitions")).to_have_text("2Missing partitions")
        expect(page.get_by_role("link", name=backfill_id)).to_be_visible()
        shots.take("job-partitions")

        # One asset's partitions with "Missing" unticked: exactly the three days, materialized by the backfill.
        source, export_object = SHOWN_ASSET
        page.goto(f"{dagster_ui.url}/assets/raw/{source}__{export_object}?view=partitions")
        expect(page.get_by_text("Materialized (3)", exact=True)).to_be_visible()
        page.get_by_text("Missing (2)", exact=True).click()
        expect(page.get_by_text("3 Partitions Selected", exact=True)).to_be_visible()
        listed = page.locator("div[data-tooltip] > div[title]")
        expect(listed).to_have_count(3)
        assert sorted(listed.evaluate_all("items => items.map(i => i.title)")) == BACKFILLED
        page.locator(f'div[data-tooltip] > div[title="{BACKFILLED[1]}"]').click()
        expect(page.get_by_text(f"{first} .. {last}", exact=True)).to_be_visible()
        rows_loaded = records_in_landing(salesops_home / "landing", source, export_object, BACKFILLED)
        assert rows_loaded > 0
        expect(page.get_by_text("rows_loaded", exact=True).locator("xpath=ancestor::tr")).to_have_text(
            re.compile(rf"^\s*rows_loaded\s*{rows_loaded}\s*$")
        )
        shots.take("asset-partitions")
    except Exception:
        shots.take("failure")
        raise

    # The instance the UI writes to agrees: one successful backfill of exactly those days, one run
    # for the whole range, and exactly those partitions materialized for every asset of the job.
    instance = dg.DagsterInstance.from_config(str(dagster_ui.dagster_home))
    try:
        backfill = instance.get_backfill(backfill_id)
        assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS
        assert sorted(backfill.partition_names) == BACKFILLED
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        assert [(r.job_name, r.status) for r in runs] == [("daily_load", dg.DagsterRunStatus.SUCCESS)]
        assert (runs[0].tags["dagster/asset_partition_range_start"], runs[0].tags["dagster/asset_partition_range_end"]) == (first, last)
        materialized = {key.to_user_string(): sorted(instance.get_materialized_partitions(key)) for key in asset_keys}
        assert materialized == {key.to_user_string(): BACKFILLED for key in asset_keys}
    finally:
        instance.dispose()

    # Stopped, the warehouse holds in raw exactly the export days of the range that had files.
    stopping = time.monotonic()
    stopped_by = dagster_ui.stop()
    stop_seconds = time.monotonic() - stopping
    assert stopped_by.startswith("interrupt ("), f"dagster dev did not stop on an interrupt: {stopped_by}"
    landing = salesops_home / "landing"
    with duckdb.connect(str(salesops_home / "warehouse.duckdb")) as warehouse:
        tables = {row[0] for row in warehouse.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()}
        specs = load_specs()
        assert sum(len(export_days_in_landing(landing, spec, BACKFILLED)) for spec in specs) > 0
        for spec in specs:
            expected = export_days_in_landing(landing, spec, BACKFILLED)
            loaded = set()
            if spec.table_name in tables:
                loaded = {str(row[0]) for row in warehouse.execute(f'select distinct _export_date from raw."{spec.table_name}"').fetchall()}
            assert loaded == expected, f"raw.{spec.table_name}: loaded export days {sorted(loaded)}, expected {sorted(expected)}"
    (artifacts / "timings.txt").write_text(
        f"UI and daemon ready: {dagster_ui.ready_seconds:.0f} s\n"
        f"backfill launched and succeeded in the UI: {backfill_seconds:.0f} s\n"
        f"UI stopped in {stop_seconds:.0f} s by {stopped_by}\n"
    )
