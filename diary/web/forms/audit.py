"""The audit page's filters, read from the query string (a GET form: it only narrows a list).

Each bad value gets a message by its field, and the page lists nothing until it is put right
(a half-applied filter would pass for a whole one)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import request

from diary.clinical import audit_words, limits
from diary.clinical.patient_list import clean_query

DATE_HELP = limits.DAY_HELP
ACTION_HELP = "Please choose one of the actions in the list."
DATE_ORDER = "The end date is before the start date."


@dataclass
class AuditFilters:
    patient: str = ""            # part of a name or record number
    person: str = ""             # part of a name or email
    action: str = ""             # an audit_words.ACTIONS code, or "" for any
    date_from: str = ""          # as typed (shown back), in the clinic's zone
    date_to: str = ""
    first: date | None = None
    last: date | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls) -> "AuditFilters":
        """This request's filters (named literally: tests/web/test_fuzz_urls.py finds them)."""
        typed_from = (request.args.get("from") or "").strip()
        typed_to = (request.args.get("to") or "").strip()
        f = cls(patient=clean_query(request.args.get("patient")),
                person=clean_query(request.args.get("person")),
                action=(request.args.get("action") or "").strip()[:60],
                # Shown back cleaned; checked as typed (a control character is refused).
                date_from=clean_query(typed_from)[:20], date_to=clean_query(typed_to)[:20])
        if f.action and f.action not in audit_words.ACTIONS:
            f.errors["action"] = ACTION_HELP
        f.first = f._day("from", typed_from)
        f.last = f._day("to", typed_to)
        if f.first and f.last and f.first > f.last:
            f.errors["to"] = DATE_ORDER
        return f

    def _day(self, name: str, text: str) -> date | None:
        if not text:
            return None
        day, problem = limits.parse_day(text)
        if problem:
            self.errors[name] = problem
        return day

    @property
    def any(self) -> bool:
        return bool(self.patient or self.person or self.action or self.date_from
                    or self.date_to)

    def args(self) -> dict[str, str]:
        """The filters as query values, for the "Older events" link."""
        given = {"patient": self.patient, "person": self.person, "action": self.action,
                 "from": self.date_from, "to": self.date_to}
        return {k: v for k, v in given.items() if v}

    def since(self, zone: ZoneInfo) -> datetime | None:
        """The start of the first day in the clinic's zone, as UTC."""
        return _midnight(self.first, zone) if self.first else None

    def until(self, zone: ZoneInfo) -> datetime | None:
        """The end of the last day (the next midnight) in the clinic's zone, as UTC."""
        return _midnight(self.last + timedelta(days=1), zone) if self.last else None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)
