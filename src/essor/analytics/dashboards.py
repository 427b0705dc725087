"""What the dashboards need beyond ``metrics.py``: alerts, and how many weeks a chart shows.

Alerts are computed from an ``OrgMetrics`` already read, so they cost no query and agree with
the figures beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

from essor.analytics.metrics import DECLINING, OrgMetrics
from essor.analytics.periods import TREND_WEEKS, Period
from essor.settings import Settings

DEPARTMENT_DECLINING = "department_declining"
WORKFLOW_UNHELPFUL = "workflow_unhelpful"
WORKFLOW_ABSTENTIONS = "workflow_abstentions"
MAX_CHART_WEEKS = 52


@dataclass(frozen=True)
class Alert:
    kind: str  # department_declining | workflow_unhelpful | workflow_abstentions
    subject: str  # a department code or a workflow id
    name: str
    share: float | None  # unhelpful or abstained share (workflow alerts)
    count: int | None  # rated feedback or runs the share is of
    relative_slope: float | None  # weekly trend ÷ mean (department alerts)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "name": self.name,
            "share": self.share,
            "count": self.count,
            "relative_slope": self.relative_slope,
        }


def alerts(metrics: OrgMetrics, settings: Settings) -> list[Alert]:
    """Declining departments (sustainability), then workflows whose feedback is too often
    unhelpful or whose runs too often abstain, each only past a minimum count so that two
    unhappy runs do not raise an alarm. Withheld figures raise nothing."""
    out: list[Alert] = []
    for d in metrics.departments:
        s = d.sustainability
        if s.status == DECLINING:
            out.append(Alert(DEPARTMENT_DECLINING, d.code, d.name, None, None, s.relative_slope))
    for w in metrics.workflows:
        if w.reason is not None:
            continue
        name = w.title or w.workflow_id
        rated = (w.helpful or 0) + (w.unhelpful or 0)
        share = w.unhelpful_share
        if (
            share is not None
            and rated >= settings.alert_min_feedback
            and share >= settings.alert_unhelpful_share
        ):
            out.append(Alert(WORKFLOW_UNHELPFUL, w.workflow_id, name, share, rated, None))
        abstained = w.abstention_share
        if (
            abstained is not None
            and (w.runs or 0) >= settings.alert_min_runs
            and abstained >= settings.alert_abstention_share
        ):
            out.append(Alert(WORKFLOW_ABSTENTIONS, w.workflow_id, name, abstained, w.runs, None))
    return out


def chart_week_count(period: Period) -> int:
    """How many complete ISO weeks a period's weekly chart shows: as many as the period holds,
    at least the trend's 8 and at most 52, ending with the period's last complete week."""
    return min(MAX_CHART_WEEKS, max(TREND_WEEKS, period.days // 7))
