"""The close-out report of a finished plan, from the clinic page: roadmap renders it, the portal shows it.

The report is roadmap's (shared/api_client's roadmap.close_out_page); the portal checks the plan is
the officer's in its read model, asks roadmap as the officer, and passes the page on with the
officer named rather than by id.
"""

import html
import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from services.portal.officer import actions, staff, tenancy
from services.portal.routes.web import OfficerDep, redirect_with_flash, render
from services.portal.settings import settings_of
from shared.api_client import Refusal, roadmap
from shared.app import SessionDep
from shared.http_edge import page_policy_with_styles_of

router = APIRouter(include_in_schema=False)


@router.get("/plans/{plan_id}/close-out", response_class=HTMLResponse)
async def close_out_page(
    plan_id: str, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    settings = settings_of(request)
    back = f"/clinics/{plan.clinic_id}"
    try:
        page = await actions.as_officer(request, officer, roadmap.close_out_page(plan_id=plan.id))
    except Refusal as refusal:
        text = (
            "Roadmap did not answer: try the report again in a moment."
            if refusal.status == 0
            else f"No close-out report yet: {refusal.reason}"
        )
        return redirect_with_flash(back, kind="error", text=text, settings=settings)
    # Roadmap names who decided by officer id: the officer reads their own name.
    page = page.replace(officer.officer_id, html.escape(officer.officer_name or "you"))
    # ...and the plan's owner by the name on the clinic's roster, not by pseudonym.
    for pseudonym, name in (
        await staff.names_of(session, plan.clinic_id, secret=settings.pseudonym_secret)
    ).items():
        page = page.replace(f"owner {pseudonym} ·", f"owner {html.escape(name)} ·")
    # Inside the portal's frame (its header and navigation): roadmap's body and its own <style>
    # elements, allowed by their hashes; roadmap escaped what it wrote.
    styles = "".join(match.group(0) for match in STYLE.finditer(page))
    body = BODY.search(page)
    content = body.group(1) if body else OUTSIDE_BODY.sub("", page)
    answer = render(
        request,
        "close_out.html",
        # Roadmap's HTML as roadmap wrote and escaped it (the page was shown unchanged before).
        {"styles": Markup(styles), "body": Markup(content), "back": back},  # noqa: S704
        officer=officer,
    )
    answer.headers["Content-Security-Policy"] = page_policy_with_styles_of(page)
    return answer


STYLE = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE)
BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)
# A page without <body>: what is left once its doctype, title and styles are taken out.
OUTSIDE_BODY = re.compile(
    r"<!doctype[^>]*>|<title>.*?</title>|<style[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE
)
