"""The planner's web app in a real browser, against a real `routecast serve`.

A planner enters the API key, uploads a CSV of stops with a fleet, watches the job
succeed, reads the plan on the map, the timeline and the tables (a clicked stop is
highlighted in all of them), downloads the CSV, runs a what-if and activates a travel
model. The browser console must stay free of errors throughout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.api.test_e2e import KEY, Server

pytestmark = pytest.mark.xdist_group("web")

CSV = """id,lat,lon,demand,window start,window end,service time
s1,52.372,4.893,2,08:00,10:00,300
s2,52.380,4.900,1,09:00,12:00,300
s3,52.365,4.910,3,,,600
s4,52.359,4.880,2,10:00,14:00,300
s5,52.375,4.875,1,08:30,11:00,240
"""
WRONG_KEY_PROBE = "/v1/jobs?limit=1 - Failed to load resource: the server responded with a status of 401"


def wait(driver: Any, condition: Callable[[Any], Any], timeout: float = 30) -> Any:
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)
    except TimeoutException:
        errors = driver.find_elements(By.CSS_SELECTOR, ".error-box")
        raise AssertionError("timed out; page errors: "
                             + "; ".join(e.text for e in errors)) from None


def css(driver: Any, selector: str) -> list[Any]:
    return driver.find_elements(By.CSS_SELECTOR, selector)


def fill(driver: Any, values: dict[str, str]) -> None:
    """Type each value into the input with that id, as a person would."""
    for field, value in values.items():
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)


class Console:
    """Browser console entries; SEVERE ones fail the test unless listed as expected."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.expected: list[str] = []

    def severe(self) -> list[str]:
        entries = [e["message"] for e in self.driver.get_log("browser")
                   if e["level"] == "SEVERE"]
        return [m for m in entries if not any(x in m for x in self.expected)]


@pytest.fixture
def console(browser: Any) -> Iterator[Console]:
    """Fails the test when the browser logged an unexpected error."""
    watch = Console(browser)
    watch.severe()  # drain what earlier tests left
    yield watch
    assert watch.severe() == []


@pytest.fixture(scope="module")
def signed_in(browser: Any, web_server: Server, screenshots: Path) -> Any:
    """The app asks for the key first; a wrong key is refused, the right one kept."""
    browser.get(web_server.url + "/")
    dialog = wait(browser, ec.visibility_of_element_located((By.ID, "key-dialog")))
    browser.save_screenshot(str(screenshots / "0-key.png"))
    field = dialog.find_element(By.ID, "key-input")
    field.send_keys("not-the-key")
    dialog.find_element(By.ID, "key-submit").click()
    wait(browser, lambda d: "refused" in d.find_element(By.ID, "key-error").text)
    field.clear()
    field.send_keys(KEY)
    dialog.find_element(By.ID, "key-submit").click()
    wait(browser, ec.invisibility_of_element_located((By.ID, "key-dialog")))
    wait(browser, lambda d: css(d, ".jobs-page"))
    return browser


@pytest.fixture(scope="module")
def solved_job(signed_in: Any, screenshots: Path) -> str:
    """A CSV of stops submitted through the New job form, solved to `succeeded`."""
    d = signed_in
    d.get(d.current_url.split("#")[0] + "#/new")
    text = wait(d, ec.visibility_of_element_located((By.ID, "problem-text")))
    d.execute_script("arguments[0].value = arguments[1];"
                     "arguments[0].dispatchEvent(new Event('input'));", text, CSV)
    assert "CSV of stops" in d.find_element(By.ID, "detected").text
    assert d.find_element(By.ID, "fleet").is_displayed()
    fill(d, {"problem-name": "amsterdam", "vehicles": "2", "capacity": "6",
             "engine": "fake-nn", "time-limit": "1"})
    d.save_screenshot(str(screenshots / "1-new-job.png"))
    d.find_element(By.ID, "submit").click()
    row = wait(d, lambda d: (css(d, "tr[data-job]") or [None])[0])
    job_id = row.get_attribute("data-job")
    assert row.find_element(By.XPATH, "td[2]").text == "amsterdam"
    wait(d, lambda d: css(d, f'tr[data-job="{job_id}"][data-status="succeeded"]'), 60)
    d.save_screenshot(str(screenshots / "2-jobs.png"))
    return job_id


def open_plan(driver: Any, job_id: str) -> None:
    driver.get(driver.current_url.split("#")[0] + f"#/plan/{job_id}")
    wait(driver, lambda d: css(d, f'.plan-page[data-job="{job_id}"] svg.timeline'))


def test_pages_and_assets_need_no_key_but_data_does(web_server: Server) -> None:
    """`/`, the scripts and the app config answer without a key; the API answers 401."""
    for path in ("/", "/static/js/main.js", "/static/app.css", "/app/config.json"):
        assert httpx.get(web_server.url + path).status_code == 200, path
    assert httpx.get(web_server.url + "/app/config.json").json() == {"auth": True,
                                                                      "tiles": None}
    assert httpx.get(web_server.url + "/v1/jobs").status_code == 401
    assert httpx.get(web_server.url + "/v1/jobs/x/plan").status_code == 401


def test_key_is_asked_kept_in_session_storage_and_never_in_a_url(
        signed_in: Any, web_server: Server, console: Console) -> None:
    """After sign-in the key lives in sessionStorage and no request URL carried it."""
    console.expected.append(WRONG_KEY_PROBE)
    assert signed_in.execute_script("return sessionStorage.getItem('routecast.apiKey')") == KEY
    assert signed_in.execute_script("return localStorage.length") == 0
    assert KEY not in web_server.log.read_text(errors="replace")
    assert "GET /v1/jobs?limit=1" in web_server.log.read_text(errors="replace")


def test_job_from_csv_reaches_succeeded_with_live_progress(
        solved_job: str, signed_in: Any, console: Console) -> None:
    """The submitted job shows as succeeded with a best cost from its event stream."""
    row = css(signed_in, f'tr[data-job="{solved_job}"]')[0]
    assert row.find_element(By.CSS_SELECTOR, ".badge").text == "succeeded"
    assert row.find_element(By.CSS_SELECTOR, "td.best").text not in ("", "–")
    assert row.find_element(By.LINK_TEXT, "Open plan")


def test_jobs_filter_by_status(solved_job: str, signed_in: Any, console: Console) -> None:
    """The status filter lists only jobs with that status."""
    d = signed_in
    d.get(d.current_url.split("#")[0] + "#/jobs")
    wait(d, lambda d: css(d, f'tr[data-job="{solved_job}"]'))
    Select(d.find_element(By.ID, "status-filter")).select_by_value("failed")
    wait(d, lambda d: not css(d, f'tr[data-job="{solved_job}"]'))
    Select(d.find_element(By.ID, "status-filter")).select_by_value("succeeded")
    wait(d, lambda d: css(d, f'tr[data-job="{solved_job}"]'))


def test_plan_map_timeline_and_linked_selection(
        solved_job: str, signed_in: Any, web_server: Server, screenshots: Path,
        console: Console) -> None:
    """One path per route, one timeline row per vehicle, numbered stops; a stop clicked on
    the map is highlighted on the timeline and in the visits table, and vice versa."""
    d = signed_in
    open_plan(d, solved_job)
    with web_server.client() as c:
        solution = c.get(f"/v1/jobs/{solved_job}/solution").json()
    n_routes = len(solution["routes"])
    assert n_routes >= 1
    assert len(css(d, "svg.map path.route")) == n_routes
    assert len(css(d, "svg.timeline .vehicle-row")) == n_routes
    served = [s for r in solution["routes"] for s in r["stops"]]
    assert len(css(d, "svg.map g.stop:not(.unassigned)")) == len(served)
    first = solution["routes"][0]["stops"]
    numbers = [e.text for e in css(d, 'svg.map g.stop[data-route="0"] text')]
    assert numbers == [str(k + 1) for k in range(len(first))]
    assert len(css(d, "svg.map g.depot")) == 1
    assert len(css(d, ".kpis .kpi")) >= 8
    assert len(css(d, "table.routes tbody tr")) == n_routes
    stop = first[-1]
    css(d, f'svg.map g.stop[data-stop="{stop}"]')[0].click()
    assert css(d, f'svg.map g.stop.selected[data-stop="{stop}"]')
    assert css(d, f'svg.timeline rect.seg.selected[data-stop="{stop}"]')
    assert css(d, f'table.visits tr.selected[data-stop="{stop}"]')
    assert stop in d.find_element(By.ID, "stop-detail").text
    d.save_screenshot(str(screenshots / "3-plan.png"))
    other = solution["routes"][-1]["stops"][0]
    css(d, f'svg.timeline rect.seg[data-stop="{other}"]')[0].click()
    assert css(d, f'svg.map g.stop.selected[data-stop="{other}"]')
    assert not css(d, f'svg.map g.stop.selected[data-stop="{stop}"]')


def test_download_csv(solved_job: str, signed_in: Any, web_server: Server, downloads: Path,
                      console: Console) -> None:
    """The CSV button saves the same file the API serves."""
    d = signed_in
    open_plan(d, solved_job)
    d.find_element(By.CSS_SELECTOR, 'button[data-format="csv"]').click()
    target = downloads / "amsterdam.csv"
    deadline = time.monotonic() + 15
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert target.exists(), sorted(p.name for p in downloads.iterdir())
    with web_server.client() as c:
        expected = c.get(f"/v1/jobs/{solved_job}/solution", params={"format": "csv"}).text
    assert target.read_text() == expected


def test_whatif_comparison_and_plan_diff(solved_job: str, signed_in: Any, web_server: Server,
                                         screenshots: Path, console: Console) -> None:
    """A batch from the base job ends with a comparison row per run, charts and a map
    per run drawing its own plan, stops moved against the base ringed."""
    d = signed_in
    d.get(d.current_url.split("#")[0] + "#/whatif")
    wait(d, lambda d: len(css(d, "#variants .variant-row")) == 2)
    Select(d.find_element(By.ID, "base-job")).select_by_value(solved_job)
    wait(d, lambda d: len(css(d, "#variants .variant-row")) == 2)
    fill(d, {"whatif-time-limit": "0.5"})
    d.find_element(By.ID, "run-whatif").click()
    wait(d, lambda d: css(d, "#batch .toolbar .badge.succeeded"), 90)
    wait(d, lambda d: css(d, "table.comparison"))
    variants = [e.get_attribute("data-variant") for e in css(d, "table.comparison tbody tr")]
    assert variants == ["base", "demand +20%", "one more vehicle"]
    assert len(css(d, "svg.chart")) == 4
    wait(d, lambda d: len(css(d, ".variant-map svg.map")) == 3)
    with web_server.client() as c:
        batch_id = d.current_url.rsplit("/", 1)[-1]
        batch = c.get(f"/v1/scenarios/{batch_id}").json()
        for key, diff in batch["comparison"]["plan_diffs"].items():
            plan = c.get(f"/v1/scenarios/{batch_id}/runs/{quote(key, safe='')}/plan").json()
            box = css(d, f'.variant-map[data-run="{key}"]')[0]
            assert len(box.find_elements(By.CSS_SELECTOR, "path.route")) == len(
                plan["solution"]["routes"])
            ringed = {e.get_attribute("data-stop")
                      for e in box.find_elements(By.CSS_SELECTOR, "g.stop.moved")}
            assert ringed == set(diff["stops_moved"])
    d.save_screenshot(str(screenshots / "4-whatif.png"))


SOLOMON = """tiny-solomon

VEHICLE
NUMBER     CAPACITY
  2         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME

    0      50         50          0          0        500          0
    1      20         70          3          0        400         10
    2      80         60          4         50        300         10
    3      60         20          2          0        450         10
    4      30         30          3        100        400         10
"""


def test_solomon_upload_drawn_in_its_own_coordinates(
        signed_in: Any, tmp_path: Path, screenshots: Path, console: Console) -> None:
    """A Solomon file chosen in the file picker is read, solved and drawn on the
    instance's own coordinates (no geographic background)."""
    d = signed_in
    path = tmp_path / "tiny-solomon.txt"
    path.write_text(SOLOMON)
    d.get(d.current_url.split("#")[0] + "#/new")
    wait(d, ec.visibility_of_element_located((By.ID, "problem-file"))).send_keys(str(path))
    wait(d, lambda d: "Solomon" in d.find_element(By.ID, "detected").text)
    assert not d.find_element(By.ID, "fleet").is_displayed()
    fill(d, {"engine": "fake-nn", "time-limit": "0.5"})
    d.find_element(By.ID, "submit").click()
    row = wait(d, lambda d: next((r for r in css(d, "tr[data-job]")
                                  if "tiny-solomon" in r.text), None))
    job_id = row.get_attribute("data-job")
    wait(d, lambda d: css(d, f'tr[data-job="{job_id}"][data-status="succeeded"]'), 60)
    open_plan(d, job_id)
    assert "instance coordinates" in d.find_element(By.CSS_SELECTOR, ".map-box .legend").text
    assert len(css(d, "svg.map g.stop")) == 4
    d.save_screenshot(str(screenshots / "5-plan-planar.png"))


def test_bad_csv_row_is_named_in_the_form(signed_in: Any, console: Console) -> None:
    """A CSV with a bad cell is refused before submitting, naming its row and column."""
    console.expected.append("/v1/convert - Failed to load resource: the server responded "
                            "with a status of 422")
    d = signed_in
    d.get(d.current_url.split("#")[0] + "#/new")
    text = wait(d, ec.visibility_of_element_located((By.ID, "problem-text")))
    d.execute_script("arguments[0].value = arguments[1];"
                     "arguments[0].dispatchEvent(new Event('input'));", text,
                     CSV.replace("52.380", "north"))
    d.find_element(By.ID, "check").click()
    box = wait(d, lambda d: (css(d, "#new-job-result .error-box") or [None])[0])
    assert "row 3, column 'lat': 'north' is not a number" in box.text


def test_live_progress_then_cancel(signed_in: Any, web_server: Server,
                                   console: Console) -> None:
    """A job submitted elsewhere joins the open list on its own; its row follows its event
    stream (best cost appears, no reload); the Cancel button stops it, keeping the best plan
    so far."""
    from tests.api.conftest import job_body, tiny_problem

    d = signed_in
    d.get(d.current_url.split("#")[0] + "#/jobs")
    wait(d, lambda d: css(d, ".jobs-page"))
    with web_server.client() as c:
        job_id = c.post("/v1/jobs", json=job_body(tiny_problem(30, name="long-one"),
                                                  iteration_limit=None, time_limit=60)
                        ).json()["id"]
    row = wait(d, lambda d: (css(d, f'tr[data-job="{job_id}"]') or [None])[0])
    d.execute_script("window.notReloaded = true;")
    wait(d, lambda d: css(d, f'tr[data-job="{job_id}"][data-status="running"]'))
    wait(d, lambda d: row.find_element(By.CSS_SELECTOR, "td.best").text not in ("", "–"))
    row.find_element(By.CSS_SELECTOR, "button.cancel").click()
    wait(d, lambda d: css(d, f'tr[data-job="{job_id}"][data-status="cancelled"]'), 20)
    assert d.execute_script("return window.notReloaded") is True
    assert css(d, f'tr[data-job="{job_id}"] a[href="#/plan/{job_id}"]')


@pytest.fixture(scope="module")
def two_models(web_server: Server) -> list[str]:
    """Two tiny travel models in the key's registry, the first one active."""
    from api.auth import KeyRing
    from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel

    owner = KeyRing([KEY]).principal(KEY).id
    registry = ModelRegistry(web_server.data_dir / "registry" / owner)
    trips = SyntheticCity().simulate_trips(1500, seed=0)
    ids = []
    for seed in (0, 1):
        model = TravelTimeModel(seed=seed, n_estimators=10, n_zones=4, n_threads=1)
        ids.append(registry.register(model.fit(trips), activate=seed == 0))
    return ids


def test_travel_models_list_and_activate(signed_in: Any, two_models: list[str],
                                         screenshots: Path, console: Console) -> None:
    """The page lists both models with metrics, marks the active one, and Activate
    switches it."""
    first, second = two_models
    d = signed_in
    d.get(d.current_url.split("#")[0] + "#/models")
    wait(d, lambda d: len(css(d, "tr[data-model]")) == 2)
    assert css(d, f'tr.active[data-model="{first}"]')
    assert "rmsle" in d.find_element(By.CSS_SELECTOR, "table.models thead").text
    d.save_screenshot(str(screenshots / "6-models.png"))
    css(d, f'tr[data-model="{second}"] button.activate')[0].click()
    wait(d, lambda d: css(d, f'tr.active[data-model="{second}"]'))
    assert not css(d, f'tr.active[data-model="{first}"]')


def test_on_time_probability_on_learned_travel(signed_in: Any, web_server: Server,
                                               two_models: list[str], screenshots: Path,
                                               console: Console) -> None:
    """A plan made on learned travel shows each served stop's on-time probability on the
    timeline and in the visits table."""
    from datetime import UTC, datetime

    from solver.demo import demo_problem
    from solver.problem import LearnedTravel

    problem = demo_problem(12, travel=LearnedTravel(
        departure=datetime(2024, 1, 29, 7, 0, tzinfo=UTC), horizon_hours=12))
    with web_server.client() as c:
        job_id = c.post("/v1/jobs", content=f'{{"problem": {problem.to_json()}, "options": '
                        '{"engine": "fake-nn", "time_limit": 60, "iteration_limit": 5}}',
                        # room for a fresh clone's worker to compile the travel predictor
                        headers={"Content-Type": "application/json"}).json()["id"]
        deadline = time.monotonic() + 90
        while (job := c.get(f"/v1/jobs/{job_id}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert job["status"] == "succeeded", job
        solution = c.get(f"/v1/jobs/{job_id}/solution").json()
    probability = solution["on_time_probability"]
    served = [s for r in solution["routes"] for s in r["stops"]]
    assert set(probability) == set(served)
    d = signed_in
    open_plan(d, job_id)
    labels = {e.get_attribute("data-stop"): e.text for e in css(d, "svg.timeline text.prob")}
    assert labels == {s: f"{round(100 * p)}%" for s, p in probability.items()}
    assert "07:00" in d.find_element(By.CSS_SELECTOR, "svg.timeline .axis").text
    d.execute_script("document.querySelector('svg.timeline').scrollIntoView()")
    d.save_screenshot(str(screenshots / "7-timeline-learned.png"))


def _click_cancel(d: Any, job_id: str) -> bool:
    """Click the job's cancel button; False (try again) while its row is being redrawn."""
    try:
        buttons = css(d, f'tr[data-job="{job_id}"] button.cancel')
        if not buttons:
            return False
        buttons[0].click()
        return True
    except StaleElementReferenceException:
        return False


def test_many_live_jobs_do_not_starve_the_page(signed_in: Any, web_server: Server,
                                               console: Console) -> None:
    """With more live jobs than a browser's connections per server, every row still
    follows its job (streams for some, polling for the rest), other pages still load,
    and cancelling each from its row reaches `cancelled`."""
    from tests.api.conftest import job_body, tiny_problem

    with web_server.client() as c:  # long enough that no job ends before it is cancelled,
        # however slowly a loaded machine drives the browser
        ids = [c.post("/v1/jobs", json=job_body(tiny_problem(10, seed=k, name=f"busy-{k}"),
                                                iteration_limit=None, time_limit=900)
                      ).json()["id"] for k in range(7)]
    d = signed_in
    d.get(d.current_url.split("#")[0] + "#/jobs")
    wait(d, lambda d: all(css(d, f'tr[data-job="{i}"]') for i in ids))
    d.get(d.current_url.split("#")[0] + "#/models")  # a data page loads meanwhile
    wait(d, lambda d: css(d, ".models-page"), 30)
    d.get(d.current_url.split("#")[0] + "#/jobs")
    for job_id in ids:
        wait(d, lambda d, j=job_id: _click_cancel(d, j))
    try:
        for job_id in ids:
            wait(d, lambda d, j=job_id: css(d, f'tr[data-job="{j}"][data-status="cancelled"]'),
                 60)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{_rows_and_jobs(d, web_server, ids)}") from None


def _rows_and_jobs(d: Any, web_server: Server, ids: list[str]) -> str:
    """What each row shows beside what the service says of its job: tells a row that
    stopped following its job from a job that did not stop."""
    lines = []
    with web_server.client() as c:
        for job_id in ids:
            rows = css(d, f'tr[data-job="{job_id}"]')
            shown = ((rows[0].get_attribute("data-status"),
                      rows[0].find_element(By.CSS_SELECTOR, "td.note").text) if rows
                     else ("no row", ""))
            job = c.get(f"/v1/jobs/{job_id}").json()
            lines.append(f"{job_id}: row {shown[0]!r} {shown[1]!r}; service {job['status']!r}, "
                         f"cancel_requested {job['cancel_requested']}, "
                         f"stopped_by {job.get('stopped_by')!r}")
    return "\n".join(lines)
