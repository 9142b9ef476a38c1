"""The admin page for outbound webhooks (/admin/webhooks): the list, the new-webhook form, edit, enable and
disable, a new secret, delete, and each webhook's delivery log with "Send again", as plain HTML forms.

Forms go through ``services.webhooks.WebhookAdmin``, the same checks as the JSON API (URL rules, the SSRF check
of where the host resolves, the event names). Every form posts with the session's CSRF token; a refused change
re-renders the page with the reason next to the values typed so far, a successful one redirects
(post/redirect/get) with a notice. The two exceptions are creating a webhook and rotating its secret: the
secret is shown once, so it is rendered straight into the POST's answer (``no-store``), never put in a redirect
URL, a cookie or the list page a reload shows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from chatsvc.domain import webhooks as rules
from chatsvc.domain.tickets import WebhookEvent
from chatsvc.errors import BadRequest, ChatError, NotFound
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.webhooks import MAX_WEBHOOKS, WebhookAdmin
from chatsvc.store.webhooks import MAX_LOG_PAGE, Webhook
from chatsvc.web.edge import services_of
from chatsvc.web.forms import Form
from chatsvc.web.guards import admin_form, path_id
from chatsvc.web.i18n import Translator
from chatsvc.web.rendering import page, page_identity, render, translator

PAGE = "/admin/webhooks"
LOG_SIZE = 50  # deliveries shown on a webhook's log page, newest first
EVENTS = [event.value for event in WebhookEvent]
CONFIRM_DELETE = "Tick the box to confirm the deletion. Nothing was deleted."
UNKNOWN_ACTION = "Unknown action."


def _admin(request: Request) -> WebhookAdmin:
    return WebhookAdmin.of(services_of(request))


def _done(where: str, notice: str, anchor: str = "") -> Response:
    return RedirectResponse(f"{where}?{urlencode({'done': notice})}{anchor}", status_code=303)


def event_labels(t: Translator) -> dict[str, str]:
    return {
        "ticket.created": t("webhooks.event.created"),
        "ticket.updated": t("webhooks.event.updated"),
        "ticket.resolved": t("webhooks.event.resolved"),
    }


def _status_labels(t: Translator) -> dict[str, str]:
    return {
        "pending": t("webhooks.log.pending"),
        "delivered": t("webhooks.log.delivered"),
        "failed": t("webhooks.log.failed"),
    }


def _fields(form: Form) -> dict[str, Any]:
    """What the new and edit forms hold: the URL as typed, the events ticked, the private-targets box."""
    return {
        "url": form.get("url"),
        "events": form.getlist("events"),  # checked by the service, which names an unknown one
        "allow_private": form.get("allow_private") == "on",
    }



# --- the list ------------------------------------------------------------------------------------------


async def _list_page(
    request: Request,
    who: StaffIdentity,
    *,
    error: ChatError | None = None,
    section: str | None = None,
    form: Form | None = None,
    webhook_id: str | None = None,
    secret: tuple[Webhook, str, str] | None = None,
    status: int = 200,
) -> Response:
    """The whole list page. After a refusal ``section`` ("new", "edit", "delete") names the form that failed
    and ``form`` holds what was typed in it; ``secret`` is (webhook, secret, "created" | "rotated")."""
    t = translator(request)
    hooks = await _admin(request).list()
    fresh = {"url": "", "events": list(EVENTS), "allow_private": False}
    new_values = _fields(form) if section == "new" and form is not None else fresh
    edit_values = _fields(form) if section == "edit" and form is not None else None
    failure = None
    if error is not None:
        failure = t.error(error)
        if error.code == "blocked_address":
            failure += " " + t("webhooks.error.blocked_hint")
    anchors = {"new": "new-webhook", "edit": f"webhook-{webhook_id}", "delete": f"webhook-{webhook_id}"}
    return render(
        request,
        "admin_webhooks.html",
        {
            "view": "list",
            "hooks": hooks,
            "events": EVENTS,
            "event_labels": event_labels(t),
            "new_values": new_values,
            "edit_values": edit_values,
            "edit_id": webhook_id if section == "edit" else None,
            "delete_id": webhook_id if section == "delete" else None,
            "max_webhooks": MAX_WEBHOOKS,
            "max_url": rules.MAX_URL_LENGTH,
            "failure": failure,
            "failed_section": anchors.get(section or "", ""),
            "secret": secret,
            "signature_header": rules.SIGNATURE_HEADER,
            "timestamp_header": rules.TIMESTAMP_HEADER,
            "event_header": rules.EVENT_HEADER,
            "delivery_header": rules.DELIVERY_HEADER,
        },
        who=who,
        status=error.status if error else status,
    )


@page
async def webhooks_page(request: Request) -> Response:
    return await _list_page(request, await page_identity(request, admin=True))


@page
async def webhook_create(request: Request) -> Response:
    who, form = await admin_form(request)
    fields = _fields(form)
    try:
        hook, secret = await _admin(request).create(
            url=fields["url"], events=fields["events"], allow_private=fields["allow_private"]
        )
    except ChatError as exc:
        return await _list_page(request, who, error=exc, section="new", form=form)
    # Rendered here rather than redirected: the secret must not travel in a URL, nor be shown by a reload.
    return await _list_page(request, who, secret=(hook, secret, "created"), status=201)


@page
async def webhook_update(request: Request) -> Response:
    who, form = await admin_form(request)
    webhook_id = path_id(request, "webhook_id", what="No such webhook.")
    admin = _admin(request)
    action = form.get("action")
    try:
        if action == "save":
            current = await admin.get(webhook_id)
            fields = _fields(form)
            url = fields["url"]
            await admin.update(
                webhook_id,
                # An unchanged URL is not checked again (its host may resolve differently today; the
                # worker checks before every delivery anyway), unless private targets are being withdrawn.
                url=None if url.strip() == current.url else url,
                events=fields["events"],
                allow_private=fields["allow_private"],
            )
            notice = "webhook_updated"
        elif action in ("enable", "disable"):
            await admin.update(webhook_id, enabled=action == "enable")
            notice = "webhook_enabled" if action == "enable" else "webhook_disabled"
        else:
            raise BadRequest(UNKNOWN_ACTION)
    except NotFound:
        raise
    except ChatError as exc:
        if action == "save":
            return await _list_page(request, who, error=exc, section="edit", form=form, webhook_id=webhook_id)
        return await _list_page(request, who, error=exc)
    return _done(PAGE, notice, f"#webhook-{webhook_id}")


@page
async def webhook_rotate(request: Request) -> Response:
    who, _form = await admin_form(request)
    hook, secret = await _admin(request).rotate_secret(path_id(request, "webhook_id", what="No such webhook."))
    return await _list_page(request, who, secret=(hook, secret, "rotated"))


@page
async def webhook_delete(request: Request) -> Response:
    who, form = await admin_form(request)
    webhook_id = path_id(request, "webhook_id", what="No such webhook.")
    admin = _admin(request)
    await admin.get(webhook_id)  # an unknown webhook: 404 whether or not the box is ticked
    if form.get("confirm") != "yes":
        return await _list_page(request, who, error=BadRequest(CONFIRM_DELETE), section="delete",
                                webhook_id=webhook_id)
    await admin.delete(webhook_id)
    return _done(PAGE, "webhook_deleted")


# --- one webhook's delivery log ------------------------------------------------------------------------


async def _log_page(request: Request, who: StaffIdentity, webhook_id: str, *, error: ChatError | None = None
                    ) -> Response:
    t = translator(request)
    admin = _admin(request)
    hook = await admin.get(webhook_id)
    deliveries = await admin.deliveries(webhook_id, LOG_SIZE)
    counts = {status: sum(1 for d in deliveries if d.status == status) for status in _status_labels(t)}
    return render(
        request,
        "admin_webhooks.html",
        {
            "view": "log",
            "hook": hook,
            "deliveries": deliveries,
            "counts": counts,
            "log_size": LOG_SIZE,
            "event_labels": event_labels(t),
            "status_labels": _status_labels(t),
            "failure": t.error(error) if error else None,
            "failed_section": "log",
        },
        who=who,
        status=error.status if error else 200,
    )


@page
async def webhook_log(request: Request) -> Response:
    who = await page_identity(request, admin=True)
    return await _log_page(request, who, path_id(request, "webhook_id", what="No such webhook."))


@page
async def delivery_retry(request: Request) -> Response:
    who, _form = await admin_form(request)
    webhook_id = path_id(request, "webhook_id", what="No such webhook.")
    delivery_id = path_id(request, "delivery_id", what="No such webhook delivery.")
    admin = _admin(request)
    # Only a delivery of this webhook (its log holds at most MAX_LOG_PAGE): no re-sending through another page.
    if delivery_id not in {d.id for d in await admin.deliveries(webhook_id, MAX_LOG_PAGE)}:
        raise NotFound("No such webhook delivery.")
    try:
        await admin.redeliver(delivery_id)
    except NotFound:
        raise
    except ChatError as exc:  # no longer failed (sent again from another tab): say so on the log
        return await _log_page(request, who, webhook_id, error=exc)
    return _done(f"{PAGE}/{webhook_id}", "webhook_redelivered", f"#delivery-{delivery_id}")


routes: list[BaseRoute] = [
    Route(PAGE, webhooks_page, methods=["GET"]),
    Route(PAGE, webhook_create, methods=["POST"]),
    Route(PAGE + "/{webhook_id}", webhook_log, methods=["GET"]),
    Route(PAGE + "/{webhook_id}", webhook_update, methods=["POST"]),
    Route(PAGE + "/{webhook_id}/secret", webhook_rotate, methods=["POST"]),
    Route(PAGE + "/{webhook_id}/delete", webhook_delete, methods=["POST"]),
    Route(PAGE + "/{webhook_id}/deliveries/{delivery_id}/retry", delivery_retry, methods=["POST"]),
]
