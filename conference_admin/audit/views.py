from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from conference_admin.access.roles import VIEW_AUDIT
from conference_admin.requestvalues import page_number

from .export import csv_lines
from .forms import AuditFilterForm
from .models import AuditRecord

PAGE_SIZE = 100


def _filtered(request):
    form = AuditFilterForm(request.GET)
    return form, form.filter(AuditRecord.objects.all())


@require_GET
@permission_required(VIEW_AUDIT, raise_exception=True)
def audit_list(request):
    form, records = _filtered(request)
    page = Paginator(records, PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/list.html", {"form": form, "page": page, "query": query.urlencode()})


@require_GET
@permission_required(VIEW_AUDIT, raise_exception=True)
def audit_export(request):
    form, records = _filtered(request)
    response = StreamingHttpResponse(
        csv_lines(records.iterator(chunk_size=500)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
