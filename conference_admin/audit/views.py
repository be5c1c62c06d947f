import csv
import json

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from conference_admin.access.roles import VIEW_AUDIT

from .forms import AuditFilterForm
from .models import AuditRecord

PAGE_SIZE = 100
CSV_COLUMNS = [
    "created_at",
    "actor_username",
    "conference_sid",
    "participant_sid",
    "participant_label",
    "action",
    "parameters",
    "outcome",
    "error_code",
    "error_message",
    "twilio_request_id",
    "resolves_id",
]


def _filtered(request):
    form = AuditFilterForm(request.GET)
    return form, form.filter(AuditRecord.objects.all())


@require_GET
@permission_required(VIEW_AUDIT, raise_exception=True)
def audit_list(request):
    form, records = _filtered(request)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/list.html", {"form": form, "page": page, "query": query.urlencode()})


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells starting with these as formulas; labels come from callers.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


defuse_cell = _cell  # public: every CSV export of the dashboard defuses cells this way


def _rows(records):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for record in records.iterator(chunk_size=500):
        values = [getattr(record, column) for column in CSV_COLUMNS]
        values[0] = record.created_at.isoformat()
        values[CSV_COLUMNS.index("parameters")] = (
            json.dumps(record.parameters, sort_keys=True) if record.parameters else ""
        )
        yield writer.writerow([_cell(v) for v in values])


@require_GET
@permission_required(VIEW_AUDIT, raise_exception=True)
def audit_export(request):
    form, records = _filtered(request)
    response = StreamingHttpResponse(_rows(records), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
