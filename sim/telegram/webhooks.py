"""setWebhook, deleteWebhook, getWebhookInfo, and delivering queued updates to the webhook."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass

from aiohttp import ClientError, ClientSession, ClientTimeout

from sim.telegram.constants import SECRET_TOKEN_HEADER, JsonDict
from sim.telegram.errors import bad_request
from sim.telegram.params import Handler, Params
from sim.telegram.updates import UpdateQueue, allowed_updates

_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: frozenset[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class Webhooks:
    """The current webhook, if any, and the background task that POSTs updates to it."""

    def __init__(self, queue: UpdateQueue, retry_delay: float) -> None:
        self.current: Webhook | None = None
        self._queue = queue
        self._retry_delay = retry_delay
        self._session: ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def methods(self) -> dict[str, Handler]:
        return {
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }

    def start(self) -> None:
        self._session = ClientSession(timeout=ClientTimeout(total=10), trust_env=False)
        self._task = asyncio.create_task(self._deliver(), name="standin-webhooks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def close_session(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- methods ------------------------------------------------------------------------------

    async def _set_webhook(self, params: Params) -> bool:
        url = params.string("url")
        if not url:
            return await self._delete_webhook(params)
        if not url.lower().startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.string("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.match(secret):
            raise bad_request("secret token contains unallowed characters")
        if params.flag("drop_pending_updates"):
            self._queue.clear()
        max_connections = min(max(params.integer("max_connections") or 40, 1), 100)
        self.current = Webhook(url, secret, max_connections, allowed_updates(params))
        self._queue.signal.notify()
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        if params.flag("drop_pending_updates"):
            self._queue.clear()
        self.current = None
        self._queue.signal.notify()
        return True

    async def _get_webhook_info(self, params: Params) -> JsonDict:
        hook = self.current
        info: JsonDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
            if hook.allowed_updates:
                info["allowed_updates"] = sorted(hook.allowed_updates)
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    # -- delivery -----------------------------------------------------------------------------

    async def _deliver(self) -> None:
        """Background task: POST pending updates to the webhook oldest first, retrying failures."""
        while not self._queue.closing:
            hook = self.current
            batch = self._queue.take_allowed(hook.allowed_updates, 1) if hook else []
            if hook is None or not batch:
                await self._queue.signal.wait()
                continue
            if await self._post_update(hook, batch[0]):
                self._queue.confirm_one(batch[0]["update_id"])
            else:
                await asyncio.sleep(self._retry_delay)

    async def _post_update(self, hook: Webhook, update: JsonDict) -> bool:
        assert self._session is not None
        headers = {SECRET_TOKEN_HEADER: hook.secret_token} if hook.secret_token else {}
        try:
            async with self._session.post(hook.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (ClientError, TimeoutError, OSError) as exc:
            error = f"Connection failed: {exc.__class__.__name__}"
        hook.last_error_date = int(time.time())
        hook.last_error_message = error
        return False
