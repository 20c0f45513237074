"""Project-level pages: the home page sends each role to where it works, and a health check."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render

from tradeon.accounts.models import Role


def home(request):
    if request.user.is_authenticated:
        if request.user.role == Role.SME:
            return redirect("catalog:dashboard")
        if request.user.role == Role.BUYER:
            return redirect("catalog:catalogue")
        return redirect("buyers:verification_queue")
    return render(request, "home.html")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
