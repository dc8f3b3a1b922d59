"""A third person in the call: the caseworker adds and removes, the recipient agrees or refuses.
(The third person's own link is opened like any invitation: ``application.joining``.)"""

from __future__ import annotations

from aiohttp import web

from application.sessions import own_session, session_page
from application.third import add_third, answer, remove_third
from rooms.third import ThirdRole
from web.bodies import read_json
from web.keys import DB, NOTIFIER, WAITING_ROOM
from web.views.common import form_str, invitation_link, now, redirect, require_role
from web.views.participants import SID, recipient_of

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.post(rf"/sessions/{SID}/third", name="add_third")
async def add(request: web.Request) -> web.StreamResponse:
    """The caseworker adds an interpreter or companion; the recipient is asked first."""
    try:
        role = ThirdRole(form_str(await request.post(), "role"))
    except ValueError:
        raise web.HTTPBadRequest() from None
    account = require_role(request, "caseworker")
    session_id = request.match_info["session_id"]
    if not await add_third(request.app[DB], request.app[NOTIFIER], account.id, session_id, role, now(request)):
        raise web.HTTPNotFound()
    redirect(f"/sessions/{session_id}#third")


@routes.post(rf"/api/third/{SID}/answer", name="third_answer")
async def answer_view(request: web.Request) -> web.StreamResponse:
    """The recipient agrees or refuses: ``{"agree": true|false}``."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType()
    body = await read_json(request)  # malformed, too deep or lone surrogates: 400
    agree = body.get("agree") if isinstance(body, dict) else None
    if not isinstance(agree, bool):
        raise web.HTTPBadRequest()
    _session, participant, consented = await recipient_of(request)
    if participant.role != "recipient" or not consented:
        raise web.HTTPForbidden()
    await answer(request.app[DB], request.app[NOTIFIER], participant, agree, now(request))
    return web.json_response({"ok": True})


@routes.post(rf"/api/third/{SID}/remove", name="third_remove")
async def remove(request: web.Request) -> web.StreamResponse:
    """The caseworker removes the third person at any time; the others go on."""
    account = require_role(request, "caseworker")
    removed = await remove_third(
        request.app[DB], request.app[NOTIFIER], request.app[WAITING_ROOM], account.id, request.match_info["session_id"]
    )
    if removed is None:
        raise web.HTTPNotFound()
    return web.json_response({"ok": True, "participant": removed})


@routes.get(rf"/api/third/{SID}/link", name="third_link")
async def third_link(request: web.Request) -> web.StreamResponse:
    """The third person's link for the caseworker's call page, fetched on ``third.answered``:
    ``{"role": …, "link": …}`` once the recipient agreed, else ``{"link": null}``. (Never in
    the event itself: that reaches the recipient's pages too.)"""
    account = require_role(request, "caseworker")
    session = await own_session(request.app[DB], account.id, request.match_info["session_id"])
    if session is None:
        raise web.HTTPNotFound()
    third = (await session_page(request.app[DB], session)).third
    body: dict[str, str | None] = {"role": None, "link": None}
    if third.person is not None and third.agreed and session.joinable:
        body = {"role": third.person.role, "link": invitation_link(request, session, third.person.id)}
    return web.json_response(body, headers={"Cache-Control": "no-store"})
