"""Reading a Prometheus text exposition: samples by name and labels, HELP text by family.

The tests in this package judge the operator by what a Prometheus server would see, so they
parse the same text format it scrapes (with prometheus-client's parser) instead of poking at
the metric objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Scrape:
    text: str

    @property
    def samples(self) -> list[Sample]:
        return [
            Sample(s.name, dict(s.labels), float(s.value))
            for family in text_string_to_metric_families(self.text)
            for s in family.samples
        ]

    @property
    def help(self) -> dict[str, str]:
        """Family name -> HELP text (counters are named without ``_total`` by the parser)."""
        return {f.name: f.documentation for f in text_string_to_metric_families(self.text)}

    @property
    def names(self) -> set[str]:
        return {s.name for s in self.samples}

    def find(self, metric: str, /, **labels: str) -> list[Sample]:
        return [
            s
            for s in self.samples
            if s.name == metric and all(s.labels.get(k) == v for k, v in labels.items())
        ]

    def value(self, metric: str, /, **labels: str) -> float:
        """The sum over the matching series (0 when none match)."""
        return sum(s.value for s in self.find(metric, **labels))
