from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Tell a load balancer or uptime probe that the process answers requests."""
    return JsonResponse({"status": "ok"})
