"""``kernsim.engine.units``: parsing and formatting of durations and sizes."""

import math

import pytest

from kernsim.engine.units import UnitError, format_duration, parse_bytes, parse_duration

UNIT_LIST = "ns, us, µs, ms, s, min, h"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7.0),
        (2.5, 2.5),
        (0, 0.0),
        ("10", 10.0),
        ("3.5us", 3.5),
        ("2 ms", 2000.0),
        ("1e3ns", 1.0),
        ("4µs", 4.0),
        ("4μs", 4.0),  # Greek mu, as some keyboards type it
        ("1s", 1e6),
        ("5min", 300e6),
        ("200h", 200 * 3600e6),
        (" .5 ms ", 500.0),
        ("+2E-3s", 2000.0),
    ],
)
def test_parse_duration(value, expected):
    assert parse_duration(value) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ("3 weeks", ['"3 weeks"', "unknown unit 'weeks'", f"allowed: {UNIT_LIST}"]),
        ("5 US", ["unknown unit 'US'", UNIT_LIST]),
        ("abc", ['"abc"', "cannot parse", UNIT_LIST]),
        ("", ["cannot parse"]),
        ("ms", ['"ms"', "cannot parse"]),
        ("-1us", ['"-1us"', ">= 0"]),
        (-1, ["-1", ">= 0"]),
        (math.nan, ["nan", "finite"]),
        (math.inf, ["inf", "finite"]),
        ("1e400s", ["finite"]),
        (True, ["True", UNIT_LIST]),
        (None, ["None", UNIT_LIST]),
        ([1], ["[1]"]),
    ],
)
def test_parse_duration_errors(value, fragments):
    with pytest.raises(UnitError) as info:
        parse_duration(value)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_unit_error_is_value_error():
    assert issubclass(UnitError, ValueError)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (512, 512.0),
        (1.5, 1.5),
        ("10", 10.0),
        ("64B", 64.0),
        ("4KB", 4000.0),
        ("4KiB", 4096.0),
        ("1.5 MB", 1.5e6),
        ("2MiB", 2 * 1024**2),
        ("3GB", 3e9),
        ("2GiB", 2 * 1024**3),
    ],
)
def test_parse_bytes(value, expected):
    assert parse_bytes(value) == expected


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ("3 kb", ["unknown unit 'kb'", "allowed: B, KB, KiB, MB, MiB, GB, GiB"]),
        ("1 ms", ["unknown unit 'ms'"]),
        ("-4KiB", ['"-4KiB"', ">= 0"]),
        (-1.0, [">= 0"]),
        (False, ["False"]),
        ("lots", ["cannot parse"]),
    ],
)
def test_parse_bytes_errors(value, fragments):
    with pytest.raises(UnitError) as info:
        parse_bytes(value)
    for fragment in fragments:
        assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("us", "text"),
    [
        (0.0, "0us"),
        (0.5, "500ns"),
        (3.0, "3us"),
        (999.0, "999us"),
        (1500.0, "1.5ms"),
        (2.5e6, "2.5s"),
        (90e6, "1.5min"),
        (7.2e9, "2h"),
    ],
)
def test_format_duration(us, text):
    assert format_duration(us) == text
    assert parse_duration(text) == pytest.approx(us, rel=1e-12)
