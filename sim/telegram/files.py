"""Files, as the Bot API has them: what users send (documents), ``getFile`` and the download URL
``/file/bot<token>/<file_path>``.

A bot may download at most 20 MB: ``getFile`` on a bigger file answers "Bad Request: file is too big",
as Telegram does (the document's ``file_size`` is known before anyone downloads it).
"""

from __future__ import annotations

import copy
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sim.telegram.actions import _BOT_COMMAND_RE
from sim.telegram.chats import Chats
from sim.telegram.constants import JsonDict
from sim.telegram.errors import bad_request
from sim.telegram.params import Handler, Params
from sim.telegram.updates import UpdateQueue
from sim.telegram.users import SimUser
from sim.telegram.utf16 import utf16_len

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile's limit for bots
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def document(self) -> JsonDict:
        """The ``Document`` object (without the content)."""
        found: JsonDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            found["file_name"] = self.file_name
        if self.mime_type:
            found["mime_type"] = self.mime_type
        return found


class FileStore:
    """Every file the stand-in holds, by file id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)
        self.downloaded: list[str] = []  # the file paths fetched at the download URL, in order

    def add(
        self, data: bytes, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        number = next(self._numbers)
        suffix = _UNSAFE_NAME.sub("_", file_name.rsplit(".", 1)[-1]) if file_name and "." in file_name else ""
        path = f"{kind}/file_{number}" + (f".{suffix}" if suffix else "")
        stored = StoredFile(
            f"BQACAgI{kind[:3]}{number:08d}", f"AgAD{number:06d}", data, path, file_name, mime_type
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str | None) -> StoredFile | None:
        return self._by_id.get(file_id or "")

    def download(self, file_path: str) -> bytes | None:
        found = self._by_path.get(file_path)
        if found is None:
            return None
        self.downloaded.append(file_path)
        return found.data

    def methods(self) -> dict[str, Handler]:
        return {"getFile": self._get_file}

    async def _get_file(self, params: Params) -> JsonDict:
        stored = self.get(params.string("file_id"))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


class DocumentSender:
    """A simulated user sending the bot a file (``message.document``, with an optional caption)."""

    def __init__(
        self, files: FileStore, chats: Chats, queue: UpdateQueue, user_of: Callable[[int], SimUser]
    ) -> None:
        self._files = files
        self._chats = chats
        self._queue = queue
        self._user_of = user_of

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str | None,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> int:
        """Queue a private message carrying the document; returns the update id."""
        user = self._user_of(user_id)
        stored = self._files.add(data, "documents", file_name, mime_type)
        message: JsonDict = {
            "message_id": self._chats.next_message_id(user_id),
            "from": user.to_json(),
            "chat": user.chat_json(),
            "date": int(time.time()),
            "document": stored.document(),
        }
        if caption:
            message["caption"] = caption
            command = _BOT_COMMAND_RE.match(caption)
            if command:
                length = utf16_len(command.group())
                message["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._chats.store(message)
        return await self._queue.enqueue("message", copy.deepcopy(message), user_id, caption)
