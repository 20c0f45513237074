"""Staff pages for bulk import (upload a CSV/XLSX, see the report) and export downloads.

The page only parses the form and calls catalog.imports / catalog.exports, which hold the rules;
SMEs and buyers get 403, anonymous visitors the sign-in page."""

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from tradeon.accounts.models import Role
from tradeon.tabular import FORMATS
from tradeon.web import role_required

from .exports import catalogue_export
from .imports import COLUMNS, KINDS, MAX_FILE_BYTES, MAX_ROWS, ImportRejected, catalogue_import

KIND_LABELS = {"companies": _("Companies"), "products": _("Products"), "buyers": _("Buyers")}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=[(kind, KIND_LABELS[kind]) for kind in KINDS])
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
    dry_run = forms.BooleanField(label=_("Only check the file; save nothing"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Interpolated per request, so the text follows the visitor's language.
        self.fields["file"].help_text = _(
            "CSV or XLSX, up to %(size)d MB and %(rows)s rows. Row 1 holds the column names."
        ) % {
            "size": MAX_FILE_BYTES // 1_048_576,
            "rows": f"{MAX_ROWS:,}",
        }


def _page(request, form, *, summary=None, rejected=None, status=200):
    context = {
        "form": form,
        "summary": summary,
        "rejected": rejected,
        "kinds": [(kind, KIND_LABELS[kind], [column.name for column in COLUMNS[kind]]) for kind in KINDS],
        "formats": FORMATS,
    }
    return render(request, "imports/upload.html", context, status=status)


@role_required(Role.STAFF)
def import_upload(request):
    if request.method != "POST":
        return _page(request, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        summary = catalogue_import(
            kind=form.cleaned_data["kind"],
            file=form.cleaned_data["file"],
            imported_by=request.user,
            dry_run=form.cleaned_data["dry_run"],
        )
    except ImportRejected as rejected:
        return _page(request, form, rejected=rejected, status=400)
    # No redirect after success: the summary is the page, and re-posting would only be refused
    # (the companies already exist) or be visibly a second import.
    return _page(request, ImportForm(initial={"kind": summary.kind}), summary=summary)


@role_required(Role.STAFF)
def export_download(request, kind: str, fmt: str):
    if kind not in KINDS or fmt not in FORMATS:
        raise Http404("No such export.")
    export = catalogue_export(kind=kind, fmt=fmt, exported_by=request.user)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
