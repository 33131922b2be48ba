"""The insight figures as a CSV file and as chart geometry for the server-rendered SVG."""

import csv

from django.http import HttpResponse
from django.utils.translation import gettext as _


def insight_csv(period, figures: dict) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"insight-{period.journey_type.slug}-{period.start}-{period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Step"),
            _("Decisions"),
            _("Median lead time (days)"),
            _("90th percentile (days)"),
            _("Decided within deadline (%)"),
            _("Days waiting for the applicant"),
        ]
    )
    for row in figures["steps"]:
        writer.writerow(
            [
                row["name"],
                row["decided"],
                row["median_days"],
                row["p90_days"],
                row["within_deadline"],
                row["applicant_days"],
            ]
        )
    writer.writerow([])
    writer.writerow([_("Unit"), _("Decisions"), _("Approved"), _("Rejected"), _("Days held"), "%"])
    for unit in figures["carriers"]["units"]:
        writer.writerow(
            [
                unit["name"],
                unit["decided"],
                unit["approved"],
                unit["rejected"],
                unit["held_days"],
                unit["share"],
            ]
        )
    writer.writerow(
        [
            _("The applicant"),
            "",
            "",
            "",
            figures["carriers"]["applicant_days"],
            figures["carriers"]["applicant_share"],
        ]
    )
    return response


def insight_charts(figures: dict) -> dict:
    """Bar lengths in per cent of the longest, so templates only place them."""
    longest = max((row["p90_days"] or 0 for row in figures["steps"]), default=0) or 1
    bars = [
        {
            "name": row["name"],
            "median": round(100 * (row["median_days"] or 0) / longest, 2),
            "p90": round(100 * (row["p90_days"] or 0) / longest, 2),
            "median_days": row["median_days"],
            "p90_days": row["p90_days"],
        }
        for row in figures["steps"]
    ]
    shares, x = [], 0.0
    carriers = figures["carriers"]
    parts = [(u["name"], u["share"] or 0) for u in carriers["units"]]
    parts.append((_("The applicant"), carriers["applicant_share"] or 0))
    for index, (name, share) in enumerate(parts):
        shares.append({"name": name, "x": round(x, 2), "width": share, "index": index % 6})
        x += share
    return {"bars": bars, "shares": shares}
