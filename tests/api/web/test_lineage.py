"""A plan's versions in the web app: solve, re-plan (through the API of a real
`routecast serve`), then open the replan's plan page: its lineage links the parent, and
"compare with" shows the diff against it (stops moved, ETA shifts, cost change) as
``GET /v1/jobs/{id}/diff`` reports it; the parent's page lists the replan. The browser
console must stay free of errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from solver.problem import Problem
from solver.solution import Solution
from tests.api.replan_day import ENGINE, day_problem, first_changes
from tests.api.test_e2e import KEY, Server, _wait
from tests.api.web.test_app import Console, css, wait

pytestmark = pytest.mark.xdist_group("web")


@pytest.fixture
def console(browser: Any) -> Any:
    """Fails the test when the browser logged an unexpected error."""
    watch = Console(browser)
    watch.severe()  # drain what earlier tests left
    yield watch
    assert watch.severe() == []


@pytest.fixture(scope="module")
def versions(web_server: Server) -> tuple[str, str, dict[str, Any]]:
    """(root, child, the API's diff of child against root): a day solved and re-planned."""
    raw = day_problem()
    with web_server.client() as c:
        root = c.post("/v1/jobs", json={"problem": raw, "options": ENGINE}).json()["id"]
        done = _wait(c, root, timeout=120)
        assert done["status"] == "succeeded", done
        problem = Problem.model_validate(raw)
        plan = Solution.model_validate(done["result"]["solution"])
        r = c.post(f"/v1/jobs/{root}/replan", json={"changes": first_changes(problem, plan)})
        assert r.status_code == 202, r.text
        child = r.json()["id"]
        assert _wait(c, child, timeout=120)["status"] == "succeeded"
        diff = c.get(f"/v1/jobs/{child}/diff", params={"against": root})
        assert diff.status_code == 200, diff.text
    return root, child, diff.json()


def _open(driver: Any, server: Server, job_id: str) -> None:
    """The plan page, with the key in session storage as the key dialog keeps it (a
    page loaded afresh: ``?versions`` differs from the other tests' URLs)."""
    if not driver.current_url.startswith(server.url):
        driver.get(server.url + "/")
    driver.execute_script("sessionStorage.setItem('routecast.apiKey', arguments[0]);", KEY)
    driver.get(server.url + f"/?versions#/plan/{job_id}")
    wait(driver, lambda d: css(d, f'.plan-page[data-job="{job_id}"] .lineage'), 60)


def test_a_replan_shows_its_lineage_and_its_diff(browser: Any, web_server: Server,
                                                 versions: tuple[str, str, dict[str, Any]],
                                                 screenshots: Path, console: Console) -> None:
    root, child, diff = versions
    d = browser
    _open(d, web_server, child)
    items = css(d, ".lineage ol.versions li")
    assert [e.get_attribute("data-job") for e in items] == [root, child]
    assert [e.get_attribute("data-version") for e in items] == ["1", "2"]
    link = items[0].find_element(By.TAG_NAME, "a")
    assert link.get_attribute("href").endswith(f"#/plan/{root}")
    assert "this plan" in items[1].text and not items[1].find_elements(By.TAG_NAME, "a")
    assert Select(d.find_element(By.ID, "compare-with")).first_selected_option.get_attribute(
        "value") == root
    box = wait(d, lambda d: (css(d, f'.diff[data-against="{root}"]') or [None])[0], 60)
    moved = diff["disruption"]["stops_moved"]
    assert box.find_element(By.CSS_SELECTOR, '[data-diff="stops-moved"] b').text == str(
        len(moved))
    cost = diff["kpi_deltas"]["cost"]
    shown = box.find_element(By.CSS_SELECTOR, '[data-diff="cost-delta"] b').text
    assert float(shown.replace(",", "")) == pytest.approx(cost, abs=0.006)
    assert {e.text for e in box.find_elements(By.CSS_SELECTOR, "dd.moved [data-stop]")} == set(
        moved)
    assert [e.text for e in box.find_elements(By.CSS_SELECTOR, "dd.added [data-stop]")] == [
        "n1"]
    shifted = {k for k, x in diff["disruption"]["eta_shifts"].items() if x != 0}
    rows = {e.get_attribute("data-stop")
            for e in box.find_elements(By.CSS_SELECTOR, "table.eta-shifts tbody tr")}
    assert rows == shifted or (len(rows) == 20 and rows <= shifted)
    d.save_screenshot(str(screenshots / "5-replan-diff.png"))
    link = css(d, f'.lineage li[data-job="{root}"] a')[0]
    link.click()
    wait(d, lambda d: css(d, f'.plan-page[data-job="{root}"] .lineage'), 60)
    items = css(d, ".lineage ol.versions li")
    assert [e.get_attribute("data-job") for e in items] == [root, child]
    assert items[0].get_attribute("class") == "current"
    assert css(d, f'.lineage li[data-job="{child}"] a')
    wait(d, lambda d: css(d, f'.diff[data-against="{child}"]'), 60)
