from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def conference_list(request):
    return HttpResponse("Conference Admin")
