"""Loaders and cleaning on small files the tests write themselves (and the shared data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surrogate import CleaningParams, TripDataError, clean_trips, load_trips
from surrogate.trips import detect_format

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "trips"

NYC_HEADER = ("trip_id,source,service,vendor_id,pickup_datetime,dropoff_datetime,trip_duration_s,"
              "pickup_longitude,pickup_latitude,dropoff_longitude,dropoff_latitude,passenger_count,"
              "trip_distance_mi,rate_code,store_and_fwd_flag,payment_type,fare_amount,total_amount")


def _nyc_file(tmp_path: Path) -> Path:
    rows = [
        "a:1,s,yellow,1,2016-03-10 07:00:00,2016-03-10 07:10:00,600,-73.98,40.75,-73.96,40.77,1,1.5,1,N,1,8,10",
        "a:2,s,yellow,1,2016-03-10 07:05:00,2016-03-10 07:05:00,0,-73.98,40.75,-73.96,40.77,1,1.5,1,N,1,8,10",
        "a:3,s,yellow,1,2016-03-10 07:06:00,2016-03-10 07:16:00,600,0,0,-73.96,40.77,1,1.5,1,N,1,8,10",
        "a:4,s,yellow,1,2016-03-10 07:07:00,2016-03-10 07:17:00,600,-75.5,40.75,-73.96,40.77,1,1.5,1,N,1,8,10",
        "a:5,s,yellow,1,2016-03-10 07:08:00,2016-03-10 07:09:00,60,-73.98,40.75,-73.80,40.70,1,1.5,1,N,1,8,10",
        "a:6,s,yellow,1,2016-03-10 07:09:00,2016-03-10 07:30:00,1260,,,-73.96,40.77,1,1.5,1,N,1,8,10",
    ]
    p = tmp_path / "nyc.csv.gz"
    pd.DataFrame([r.split(",") for r in rows], columns=NYC_HEADER.split(",")).to_csv(
        p, index=False, compression="gzip")
    return p


def test_nyc_file_is_recognised_and_each_drop_counted(tmp_path: Path) -> None:
    """Every bad row of a hand-made NYC file is dropped by exactly one named rule."""
    df, report = load_trips(_nyc_file(tmp_path))
    assert len(df) == 1 and report.rows_in == 6 and report.rows_out == 1
    d = report.dropped
    assert d["non_positive_duration"] == 1 and d["zero_coordinate"] == 1
    assert d["outside_bbox"] == 1 and d["impossible_speed"] == 1 and d["missing_values"] == 1
    assert sum(d.values()) == report.rows_in - report.rows_out
    assert str(df["departure"].dt.tz) == "America/New_York"
    assert df["departure"].iloc[0] == pd.Timestamp("2016-03-10 07:00", tz="America/New_York")


def test_unclean_load_keeps_every_row_in_order(tmp_path: Path) -> None:
    """clean=False returns one row per input row, in file order (for `travel predict`)."""
    df, report = load_trips(_nyc_file(tmp_path), clean=False)
    assert len(df) == 6 and report.dropped == {}
    assert np.isnan(df["origin_lat"].iloc[5])


def test_generic_parquet_round_trip(tmp_path: Path, trips: pd.DataFrame) -> None:
    """The generic schema read back from Parquet equals what was written."""
    p = tmp_path / "t.parquet"
    trips.head(50).to_parquet(p)
    df, report = load_trips(p, clean=False)
    assert report.rows_in == 50
    np.testing.assert_array_equal(df["duration_s"].to_numpy(), trips["duration_s"].head(50))
    assert (df["departure"] == trips["departure"].head(50).reset_index(drop=True)).all()
    assert detect_format(list(df.columns)) == "generic"


def test_generic_csv_needs_a_time_zone(tmp_path: Path) -> None:
    """Naive generic timestamps without tz= are refused with a TripDataError naming the fix."""
    p = tmp_path / "g.csv"
    p.write_text("origin_lat,origin_lon,dest_lat,dest_lon,departure,duration_s\n"
                 "45.0,7.0,45.01,7.01,2024-01-01 08:00:00,600\n")
    with pytest.raises(TripDataError, match="tz="):
        load_trips(p)
    df, _ = load_trips(p, tz="Europe/Rome")
    assert str(df["departure"].dt.tz) == "Europe/Rome"


def test_unknown_format_and_missing_file_are_trip_data_errors(tmp_path: Path) -> None:
    """Unrecognised columns and absent files raise TripDataError (a ValueError)."""
    p = tmp_path / "odd.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(TripDataError, match="unrecognised"):
        load_trips(p)
    with pytest.raises(ValueError, match="no such"):
        load_trips(tmp_path / "absent.csv")


def test_cleaning_rules_are_configurable(trips: pd.DataFrame) -> None:
    """Switching a rule off keeps the rows it would have dropped."""
    strict = CleaningParams(min_duration_s=600.0)
    off = CleaningParams(min_duration_s=None)
    _, r_strict = clean_trips(trips, strict)
    _, r_off = clean_trips(trips, off)
    assert r_strict.dropped["too_short"] > 0 and r_off.dropped["too_short"] == 0


@pytest.mark.parametrize("city,fmt", [("nyc", "nyc"), ("nyc_zones", "nyc_zones"),
                                      ("chicago", "chicago")])
def test_shared_city_formats_detected(city: str, fmt: str, tmp_path: Path) -> None:
    """A 300-row sample of each shared city file is recognised and mostly kept."""
    src = SHARED / city / "trips.csv.gz"
    if not src.is_file():
        pytest.skip("shared trip data not present")
    sample = tmp_path / f"{city}.csv"
    pd.read_csv(src, nrows=300, dtype=str).to_csv(sample, index=False)
    assert detect_format(list(pd.read_csv(sample, nrows=0).columns)) == fmt
    df, report = load_trips(sample)
    assert report.rows_in == 300 and 0.5 * 300 < len(df) <= 300
    assert df["duration_s"].gt(0).all()
