"""VARIANTS.yaml: variants, grid sweeps and replications expand to the right runs."""

from __future__ import annotations

import pytest

from solver.scenarios import BASE, ScenarioError, ScenarioSet, expand

GRID = """
name: sweep
variants:
  - name: more demand
    edits: [{op: scale_demand, factor: 1.2}]
grid:
  axes:
    - {name: vans, op: set_vehicles, param: count, type: van, range: [1, 4]}
    - {name: demand, op: scale_demand, param: factor, values: [1.0, 1.1, 1.2]}
"""


def test_grid_expands_to_one_run_per_cell(tmp_path):
    """A 4 x 3 grid gives 12 cells, after the base and the named variants."""
    path = tmp_path / "v.yaml"
    path.write_text(GRID)
    runs = expand(ScenarioSet.from_yaml(path))
    assert [r.name for r in runs[:2]] == [BASE, "more demand"]
    cells = runs[2:]
    assert len(cells) == 12 and len({r.name for r in cells}) == 12
    assert cells[0].cell == {"vans": 1, "demand": 1.0}
    assert [e.op for e in cells[0].edits] == ["set_vehicles", "scale_demand"]


def test_replications_repeat_every_run_per_seed():
    """replications: 3 solves the base and each variant with seeds s, s+1, s+2."""
    s = ScenarioSet.from_dict({"variants": [{"name": "a"}], "replications": 3})
    assert [(r.name, r.seed) for r in expand(s, seed=5)] == [
        (BASE, 5), ("a", 5), (BASE, 6), ("a", 6), (BASE, 7), ("a", 7)]
    assert ScenarioSet.from_dict({"variants": [{"name": "a"}], "seeds": [9]}).run_seeds(0) == [9]


@pytest.mark.parametrize(("doc", "where"), [
    ({"variants": [{"name": "base"}]}, "V.yaml"),
    ({"variants": [{"name": "a"}, {"name": "a"}]}, "V.yaml"),
    ({"variants": [{"name": "a", "edits": [{"op": "scale_demand", "factor": -2}]}]},
     "V.yaml: variants[0].edits[0].factor"),
    ({"grid": {"axes": [{"op": "scale_demand", "param": "factor", "values": [0]}]}},
     "V.yaml: grid.axes[0].factor"),
    ({"variants": [{"name": "a"}], "seeds": [1], "replications": 2}, "V.yaml"),
    ({}, "V.yaml"),
    ([1, 2], "V.yaml"),
])
def test_bad_documents_name_the_field(doc, where):
    """A bad VARIANTS document raises ScenarioError whose path names the field."""
    with pytest.raises(ScenarioError) as info:
        ScenarioSet.from_dict(doc, "V.yaml")
    assert info.value.path == where


def test_not_yaml(tmp_path):
    """A file that is not YAML is a ScenarioError naming the file."""
    path = tmp_path / "broken.yaml"
    path.write_text("variants: [unclosed")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        ScenarioSet.from_yaml(path)
