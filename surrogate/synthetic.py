"""A synthetic city with known, time-dependent ground-truth travel times.

It is the embedded default: the demo and the tests train on it with no data on disk,
and decision-quality studies score plans against its true times. The truth is a
street-grid (rotated Manhattan) distance driven at a free-flow speed slowed by a
congestion field that depends on where (downtown, a leisure district, suburbs) and
when (weekday peaks, weekend afternoons); observed trips add log-normal noise whose
median is the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from surrogate.clock import hour_of_week, to_unix_seconds
from surrogate.geo import EARTH_RADIUS_M

_PATH_SAMPLES = 5  # points along the straight line where congestion is averaged


@dataclass(frozen=True)
class SyntheticCity:
    """A city box with a congestion model; all parameters are explicit and seeded.

    Parameters
    ----------
    seed
        Places the downtown and leisure centres; same seed, same city.
    center_lat, center_lon
        Centre of the box (degrees).
    size_m
        Side of the square city box in meters.
    grid_angle_deg
        Street grid orientation, clockwise from north.
    free_speed_mps
        Speed on an empty street grid.
    overhead_s
        Fixed time per trip (parking, turns).
    noise_sigma
        Sigma of the log-normal trip noise (median 1, so the truth is the median).
    tz
        Time zone of the congestion profiles.
    """

    seed: int = 0
    center_lat: float = 45.0
    center_lon: float = 7.0
    size_m: float = 20_000.0
    grid_angle_deg: float = 25.0
    free_speed_mps: float = 11.0
    overhead_s: float = 45.0
    noise_sigma: float = 0.25
    tz: str = "UTC"

    # ----------------------------------------------------------------- geometry
    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """lon_min, lat_min, lon_max, lat_max of the city box."""
        half = self.size_m / 2
        dlat = np.degrees(half / EARTH_RADIUS_M)
        dlon = np.degrees(half / (EARTH_RADIUS_M * np.cos(np.radians(self.center_lat))))
        return (self.center_lon - dlon, self.center_lat - dlat,
                self.center_lon + dlon, self.center_lat + dlat)

    def _xy(self, latlon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Local east/north meters (equirectangular; exact enough over 20 km)."""
        latlon = np.asarray(latlon, dtype=np.float64).reshape(-1, 2)
        x = np.radians(latlon[:, 1] - self.center_lon) * EARTH_RADIUS_M * np.cos(
            np.radians(self.center_lat))
        y = np.radians(latlon[:, 0] - self.center_lat) * EARTH_RADIUS_M
        return x, y

    def _centres(self) -> np.ndarray:
        """Downtown and leisure centres in local meters, drawn from the seed."""
        rng = np.random.default_rng(self.seed)
        return rng.uniform(-0.25, 0.25, size=(2, 2)) * self.size_m

    def street_distance_m(self, orig: np.ndarray, dest: np.ndarray) -> np.ndarray:
        """Grid distance: L1 norm in the frame of the street grid."""
        ox, oy = self._xy(orig)
        dx, dy = self._xy(dest)
        a = np.radians(self.grid_angle_deg)
        ex, ny = dx - ox, dy - oy
        u = ex * np.cos(a) - ny * np.sin(a)
        v = ex * np.sin(a) + ny * np.cos(a)
        return np.abs(u) + np.abs(v)

    # ------------------------------------------------------------------ traffic
    @staticmethod
    def _weekday_peaks(how: np.ndarray) -> np.ndarray:
        """Commuter congestion in [0, ~1]: 8:00 and 17:30 peaks, Monday to Friday."""
        day, h = np.floor(how / 24.0), np.mod(how, 24.0)
        peaks = 0.9 * np.exp(-0.5 * ((h - 8.0) / 1.3) ** 2)
        peaks += 1.0 * np.exp(-0.5 * ((h - 17.5) / 1.6) ** 2)
        peaks += 0.25 * ((h > 7) & (h < 20))
        return np.where(day < 5, peaks, 0.0)

    @staticmethod
    def _weekend_leisure(how: np.ndarray) -> np.ndarray:
        """Leisure congestion: weekend afternoons and Friday evening."""
        day, h = np.floor(how / 24.0), np.mod(how, 24.0)
        aft = np.exp(-0.5 * ((h - 15.0) / 3.0) ** 2)
        fri = np.exp(-0.5 * ((h - 21.0) / 2.0) ** 2)
        return np.where(day >= 5, aft, np.where(day == 4, 0.6 * fri, 0.0))

    def congestion(self, latlon: np.ndarray, unix_s: np.ndarray) -> np.ndarray:
        """Slow-down factor (>= 1) at points and instants: 1 means free flow."""
        x, y = self._xy(latlon)
        how = hour_of_week(np.asarray(unix_s, dtype=np.float64), self.tz)
        (dx0, dy0), (lx0, ly0) = self._centres()
        down = np.exp(-((x - dx0) ** 2 + (y - dy0) ** 2) / (2 * (0.15 * self.size_m) ** 2))
        leis = np.exp(-((x - lx0) ** 2 + (y - ly0) ** 2) / (2 * (0.08 * self.size_m) ** 2))
        return 1.0 + self._weekday_peaks(how) * (0.35 + 1.4 * down) + 0.9 * leis * \
            self._weekend_leisure(how)

    def true_travel_time(self, orig_latlon: np.ndarray, dest_latlon: np.ndarray,
                         departure_unix_s: np.ndarray) -> np.ndarray:
        """Median travel time in seconds for each (origin, destination, departure).

        The congestion is averaged over points along the straight line at departure
        time; the profiles are smooth (hours), so leaving later never arrives earlier
        for trips of ordinary length (FIFO; tested as a property).
        """
        orig = np.asarray(orig_latlon, dtype=np.float64).reshape(-1, 2)
        dest = np.asarray(dest_latlon, dtype=np.float64).reshape(-1, 2)
        t = np.broadcast_to(np.asarray(departure_unix_s, dtype=np.float64), (len(orig),))
        slow = np.zeros(len(orig))
        for k in range(_PATH_SAMPLES):
            f = k / (_PATH_SAMPLES - 1)
            slow += self.congestion(orig + f * (dest - orig), t)
        slow /= _PATH_SAMPLES
        dist = self.street_distance_m(orig, dest)
        tt = self.overhead_s + dist * slow / self.free_speed_mps
        return np.where(dist > 0, tt, 0.0)

    # ---------------------------------------------------------------- sampling
    def sample_locations(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``[n, 2]`` lat/lon: 40 % clustered around downtown, the rest uniform."""
        half = self.size_m / 2
        centre = self._centres()[0]
        xy = rng.uniform(-half, half, size=(n, 2))
        near = rng.random(n) < 0.4
        xy[near] = centre + rng.normal(0.0, 0.12 * self.size_m, size=(int(near.sum()), 2))
        xy = np.clip(xy, -half, half)
        lat = self.center_lat + np.degrees(xy[:, 1] / EARTH_RADIUS_M)
        lon = self.center_lon + np.degrees(
            xy[:, 0] / (EARTH_RADIUS_M * np.cos(np.radians(self.center_lat))))
        return np.column_stack([lat, lon])

    def _departures(self, n: int, start_s: float, days: float,
                    rng: np.random.Generator) -> np.ndarray:
        """Departure instants with more demand by day than at night (rejection sampling)."""
        out = np.empty(0)
        while len(out) < n:
            t = start_s + rng.uniform(0.0, days * 86400.0, size=2 * n)
            h = np.mod(hour_of_week(t, self.tz), 24.0)
            weight = 0.15 + np.exp(-0.5 * ((h - 13.0) / 4.5) ** 2)
            out = np.concatenate([out, t[rng.random(2 * n) < weight / 1.15]])
        return np.sort(out[:n])

    def simulate_trips(self, n: int, start: str | pd.Timestamp = "2024-01-01",
                       days: float = 28.0, seed: int = 0) -> pd.DataFrame:
        """Observed trips in the generic trip schema (noise around the true median).

        Parameters
        ----------
        n
            Number of trips.
        start
            First possible departure; naive values are wall-clock time in ``tz``.
        days
            Length of the simulated period.
        seed
            Seeds locations, departures and noise (independent of the city's seed).
        """
        rng = np.random.default_rng(seed)
        start_s = float(to_unix_seconds([pd.Timestamp(start)], self.tz)[0])
        dep = self._departures(n, start_s, days, rng)
        orig = self.sample_locations(n, rng)
        dest = self.sample_locations(n, rng)
        truth = self.true_travel_time(orig, dest, dep)
        duration = truth * np.exp(rng.normal(0.0, self.noise_sigma, size=n))
        dist = self.street_distance_m(orig, dest) * np.exp(rng.normal(0.0, 0.05, size=n))
        departure = pd.Series(pd.to_datetime(np.round(dep * 1e6).astype(np.int64), unit="us",
                                             utc=True)).dt.tz_convert(self.tz)
        return pd.DataFrame({
            "origin_lat": orig[:, 0], "origin_lon": orig[:, 1],
            "dest_lat": dest[:, 0], "dest_lon": dest[:, 1],
            "departure": departure.astype(f"datetime64[ns, {self.tz}]"),
            "duration_s": np.round(duration, 1),
            "distance_m": dist,
            "source": "synthetic",
        })
