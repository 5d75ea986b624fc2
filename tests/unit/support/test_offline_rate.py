"""An offline rate only when every packet was decoded and the work dwarfs the timings'
spread; otherwise the reason."""

from __future__ import annotations

import pytest

from tests.support.offline_rate import Timings, Unmeasurable, packets_per_second


def test_the_rate_is_packets_over_the_median_work() -> None:
    timings = Timings(startups=[0.50, 0.45, 0.55], runs=[7.6, 7.5, 7.9])
    assert timings.work == pytest.approx(7.1)
    assert (timings.startup_spread, timings.run_spread) == pytest.approx((0.1, 0.4))
    assert packets_per_second(1_100_000, [1_100_000] * 3, timings) == pytest.approx(154929.6, 0.01)


def test_work_within_the_start_ups_spread_gives_no_rate() -> None:
    # As when 0.03 s of work sat on 0.3 s of start-up: no figure, but why.
    timings = Timings(startups=[0.30, 0.28, 0.36], runs=[0.33, 0.31, 0.40])
    with pytest.raises(Unmeasurable, match=r"0\.03 s of work is not 10 x the 0\.08 s"):
        packets_per_second(110_000, [110_000] * 3, timings)
    # Just under ten times the spread is not clear of it either.
    with pytest.raises(Unmeasurable, match=r"0\.95 s of work is not 10 x the 0\.10 s"):
        packets_per_second(110_000, [110_000] * 3, Timings([0.4, 0.5, 0.45], [1.40] * 3))


def test_a_run_that_decoded_fewer_packets_gives_no_rate() -> None:
    timings = Timings(startups=[0.5, 0.5, 0.5], runs=[2.0, 2.0, 2.0])
    with pytest.raises(Unmeasurable, match=r"decoded \[1000, None\] packets, not the 110000"):
        packets_per_second(110_000, [110_000, 1000, None], timings)
