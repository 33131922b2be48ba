"""A unit's finance staff: import Bankgirot's payment files and read what each one did."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from payments.forms import PaymentFileForm
from payments.models import PaymentFile
from payments.services import ImportRefused, payment_file_import
from portal.http import HtmxHttpRequest
from units.models import Unit
from units.roles import roles_of


def _finance_units(request: HtmxHttpRequest) -> list[Unit]:
    unit_ids = roles_of(request.user).finance_unit_ids
    if not unit_ids:
        raise Http404
    return list(Unit.objects.filter(pk__in=unit_ids))


@login_required
@require_http_methods(["GET", "POST"])
def payment_files(request: HtmxHttpRequest) -> HttpResponse:
    units = _finance_units(request)
    posted = request.method == "POST"
    form = PaymentFileForm(request.POST, request.FILES) if posted else PaymentFileForm()
    status = 200
    if posted:
        if form.is_valid():
            name, content = form.cleaned_data["upload"]
            try:
                record = payment_file_import(
                    content=content, name=name, units=units, by=request.user, now=timezone.now()
                )
            except ImportRefused as refused:
                form.add_error("upload", str(refused))
            else:
                return redirect("payments:file", pk=record.pk)
        status = 422
    files = PaymentFile.objects.filter(unit__in=units).select_related("unit")[:20]
    return render(
        request,
        "payments/files.html",
        {"form": form, "files": files, "units": units},
        status=status,
    )


@login_required
@require_GET
def payment_file(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    units = _finance_units(request)
    record = get_object_or_404(PaymentFile.objects.select_related("unit"), pk=pk, unit__in=units)
    payments = list(
        record.payments.select_related("invoice__journey", "invoice__replaced_by__unit")
    )
    return render(
        request,
        "payments/file.html",
        {
            "file": record,
            "paid": [p for p in payments if p.outcome == p.Outcome.PAID],
            "unmatched": [p for p in payments if p.outcome != p.Outcome.PAID],
        },
    )
