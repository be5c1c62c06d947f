from django.contrib.auth.decorators import permission_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from conference_admin.access.roles import VIEW, VIEW_AUDIT, VIEW_TRANSCRIPTS
from conference_admin.http import vary_on_htmx
from conference_admin.requestvalues import Refused, page_number, search_words, whole_number_or

from . import exports, selectors
from .forms import HistoryPeriodForm, HistorySearchForm

# Exports follow the audit export's permission: whoever may download the audit trail may
# download history; everyone who may watch conferences may read it.
EXPORT = VIEW_AUDIT
# Timeline items a report shows at once (a 250-participant call has over a thousand).
TIMELINE_SLICE = 100


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _csv(rows, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


@require_GET
@permission_required(VIEW, raise_exception=True)
def history_list(request):
    form = HistoryPeriodForm(request.GET)
    page = selectors.history_page(**form.period_kwargs(), page=page_number(request.GET.get("page")))
    return render(request, "history/list.html", {"form": form, "page": page, "query": _query(request)})


@require_GET
@permission_required(VIEW, raise_exception=True)
def history_search(request):
    form = HistorySearchForm(request.GET)
    criteria = form.criteria()
    page = selectors.history_search(criteria=criteria, page=page_number(request.GET.get("page"))) if criteria else None
    query = _query(request)
    export_url = f"{reverse('history-search-export')}?{query}" if criteria and request.user.has_perm(EXPORT) else ""
    context = {
        "form": form,
        "page": page,
        "query": query,
        "export_url": export_url,
        "searched": bool(request.GET),
        "show_matched": bool(criteria and criteria.participant),
    }
    return render(request, "history/search.html", context)


@require_GET
@permission_required(EXPORT, raise_exception=True)
def history_search_export(request):
    criteria = HistorySearchForm(request.GET).criteria()
    results = selectors.history_search_all(criteria=criteria) if criteria else []
    return _csv(exports.search_csv(results), "history-search")


def _report(request, conference_sid: str) -> selectors.ConferenceReport:
    """The report as this user may read it: a phrase alert's line only with VIEW_TRANSCRIPTS."""
    try:
        return selectors.conference_report(
            conference_sid=conference_sid, transcript_lines=request.user.has_perm(VIEW_TRANSCRIPTS)
        )
    except selectors.HistoryNotFound:
        raise Http404("No history for this conference.") from None


def _timeline_slice(request, report, conference_sid: str) -> dict:
    """A long timeline is shown a slice at a time; "show more" fetches the next (htmx), and
    without JavaScript the link shows it whole."""
    page_url = reverse("history-report", args=[conference_sid])
    total = len(report.timeline)
    if request.GET.get("timeline") == "all":
        start, end = 0, total
    else:
        start = whole_number_or(request.GET.get("from"), 0, name="from")  # unreadable: the first slice
        end = start + TIMELINE_SLICE
    return {
        "timeline_items": report.timeline.items(start, end),
        "timeline_total": total,
        "timeline_more": min(TIMELINE_SLICE, total - end) if end < total else 0,
        "timeline_more_url": f"{page_url}?from={end}" if end < total else "",
        "timeline_all_url": f"{page_url}?timeline=all#timeline",
    }


@require_GET
@permission_required(VIEW, raise_exception=True)
@vary_on_htmx
def history_report(request, conference_sid: str):
    report = _report(request, conference_sid)
    timeline = _timeline_slice(request, report, conference_sid)
    if request.htmx and "from" in request.GET:
        return render(request, "history/report.html#timeline-items", timeline)
    can_audit = request.user.has_perm(VIEW_AUDIT)
    context = {
        "report": report,
        "audit_url": f"{reverse('audit-list')}?conference={conference_sid}" if can_audit else "",
        "export_url": reverse("history-report-export", args=[conference_sid]) if request.user.has_perm(EXPORT) else "",
        **timeline,
    }
    return render(request, "history/report.html", context)


@require_GET
@permission_required(EXPORT, raise_exception=True)
def history_report_export(request, conference_sid: str):
    return _csv(exports.report_csv(_report(request, conference_sid)), f"history-{conference_sid}")


@require_GET
@permission_required(VIEW, raise_exception=True)
@permission_required(VIEW_TRANSCRIPTS, raise_exception=True)
def history_transcripts(request):
    """Transcript lines that say a phrase (`?q=`), newest first, with their conference."""
    refused = ""
    try:
        phrase = search_words(request.GET.get("q"), name="Phrase")
    except Refused as error:
        phrase, refused = "", str(error)
    lines = selectors.transcript_search(phrase=phrase) if phrase else []
    export_url = ""
    if phrase and request.user.has_perm(EXPORT):
        export_url = f"{reverse('history-transcripts-export')}?{_query(request)}"
    context = {
        "phrase": phrase,
        "refused": refused,
        "lines": lines,
        "export_url": export_url,
        "limit": selectors.TRANSCRIPT_RESULTS,
    }
    return render(request, "history/transcripts.html", context)


def search_words_or_none(raw: str | None) -> str:
    """The export's phrase: a refused one exports nothing (the page said why)."""
    try:
        return search_words(raw, name="Phrase")
    except Refused:
        return ""


@require_GET
@permission_required(VIEW_TRANSCRIPTS, raise_exception=True)
@permission_required(EXPORT, raise_exception=True)
def history_transcripts_export(request):
    phrase = search_words_or_none(request.GET.get("q"))
    lines = selectors.transcript_search(phrase=phrase, limit=None) if phrase else []
    return _csv(exports.transcript_csv(lines), "transcripts")
