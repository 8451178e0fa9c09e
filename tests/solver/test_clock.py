"""Clock times: conversions to seconds at validation, DST-correct, and back to ISO."""

from __future__ import annotations

import pytest

from solver.clock import Clock


def test_local_times_count_real_seconds_across_a_dst_change():
    """On 2026-03-29 Berlin skips 02:00-03:00: 09:00 local is 8 h after local midnight."""
    clock = Clock.parse("2026-03-29", "Europe/Berlin")
    assert clock.seconds("01:30") == 5400
    assert clock.seconds("09:00") == 8 * 3600
    assert clock.seconds("2026-03-29T09:00:00+02:00") == 8 * 3600
    assert clock.iso(8 * 3600) == "2026-03-29T09:00:00+02:00"


def test_autumn_change_adds_an_hour():
    """On 2026-10-25 Berlin repeats 02:00-03:00: 12:00 local is 13 h after midnight."""
    clock = Clock.parse("2026-10-25", "Europe/Berlin")
    assert clock.seconds("12:00") == 13 * 3600


def test_skipped_wall_time_is_an_error():
    """A local time that does not exist on the day is refused, not guessed."""
    with pytest.raises(ValueError, match="does not exist"):
        Clock.parse("2026-03-29", "Europe/Berlin").seconds("02:30")


def test_origin_with_offset_needs_no_zone():
    """An ISO origin with an offset reads HH:MM in that offset."""
    clock = Clock.parse("2026-06-01T06:00:00+01:00", None)
    assert clock.seconds("09:00") == 3 * 3600
    assert clock.iso(0) == "2026-06-01T06:00:00+01:00"


@pytest.mark.parametrize(("origin", "zone", "field"), [
    ("2026-06-01", None, "time_zone"),
    ("2026-06-01", "Mars/Olympus", "time_zone"),
    ("2026-06-01T06:00:00", None, "time_origin"),
    ("not a date", None, "time_origin"),
])
def test_bad_origins_name_the_field(origin, zone, field):
    """A bad origin or zone is refused with the field's name."""
    with pytest.raises(ValueError, match=field):
        Clock.parse(origin, zone)
