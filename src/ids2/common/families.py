"""Small helpers to build metric families from plain values, skipping what is unknown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric


def gauge(name: str, documentation: str, value: object) -> Iterable[Metric]:
    """One unlabelled gauge, or nothing when `value` is not a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        yield GaugeMetricFamily(name, documentation, value=float(value))


def counter(name: str, documentation: str, value: object) -> Iterable[Metric]:
    """One unlabelled counter (name without _total), or nothing when unknown."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        yield CounterMetricFamily(name, documentation, value=float(value))


def labelled_gauge(
    name: str, documentation: str, label: str, values: Mapping[str, object]
) -> Iterable[Metric]:
    """A gauge with one label, one sample per numeric value; nothing when none is numeric."""
    return _labelled(GaugeMetricFamily(name, documentation, labels=[label]), values)


def labelled_counter(
    name: str, documentation: str, label: str, values: Mapping[str, object]
) -> Iterable[Metric]:
    """A counter (name without _total) with one label, as labelled_gauge()."""
    return _labelled(CounterMetricFamily(name, documentation, labels=[label]), values)


def _labelled(
    family: GaugeMetricFamily | CounterMetricFamily, values: Mapping[str, object]
) -> Iterable[Metric]:
    numbers = {
        key: float(value)
        for key, value in values.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    for key, number in numbers.items():
        family.add_metric([key], number)
    if numbers:
        yield family
