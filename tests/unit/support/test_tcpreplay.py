"""tcpreplay's closing statistics, as tcpreplay 4.4 prints them, read into figures."""

from __future__ import annotations

import pytest

from tests.support.tcpreplay import replayed

OUTPUT = """\
Actual: 800000 packets (53672688 bytes) sent in 2.05 seconds
Rated: 26055487.1 Bps, 208.44 Mbps, 388361.20 pps
Flows: 30000 flows, 75003.37 fps, 110000 unique flow packets, 0 unique non-flow packets
Statistics for network device: ids2p1a2b3c
\tSuccessful packets:        799990
\tFailed packets:            10
\tTruncated packets:         0
\tRetried packets (ENOBUFS): 0
\tRetried packets (EAGAIN):  0
"""


def test_the_rate_reached_is_read_from_the_statistics() -> None:
    result = replayed(OUTPUT)
    assert (result.packets, result.failed, result.seconds) == (800000, 10, 2.05)
    assert result.rate == 388361.20
    assert result.reached(400_000), "within 5 % of the rate asked"
    assert not result.reached(640_000), "tcpreplay's own ceiling"


def test_output_without_statistics_says_what_is_missing() -> None:
    with pytest.raises(ValueError, match="no 'Rated' line: 'Actual: 1 packets"):
        replayed("Actual: 1 packets (60 bytes) sent in 0.01 seconds\n")
