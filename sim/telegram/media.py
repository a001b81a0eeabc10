"""sendPhoto and sendDocument: a file uploaded as multipart/form-data (as PTB and Telegram do it) or
named by the file id of one the stand-in holds, with an optional caption.

Checked as Telegram checks them: a caption is at most 1,024 characters after entity parsing; a photo
must be an image (anything else: "IMAGE_PROCESS_FAILED") of at most 10 MB; a document at most 50 MB.
The transcript records each with its caption as ``text`` and the file's bytes as ``media``.
"""

from __future__ import annotations

import copy
import io
import time

from aiohttp.web import FileField
from PIL import Image, UnidentifiedImageError

from sim.telegram.chats import Chats
from sim.telegram.constants import JsonDict, bot_user
from sim.telegram.errors import ApiError, bad_request
from sim.telegram.files import FileStore, StoredFile
from sim.telegram.html_rules import FormattedText
from sim.telegram.params import Handler, Params
from sim.telegram.ratelimit import FloodControl
from sim.telegram.records import SentMessage
from sim.telegram.text import compose_text
from sim.telegram.transcript import Transcript
from sim.telegram.utf16 import utf16_len

MAX_CAPTION_UTF16 = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


class MediaMethods:
    def __init__(
        self,
        chats: Chats,
        transcript: Transcript,
        flood: FloodControl,
        files: FileStore,
        *,
        strict_html: bool,
    ) -> None:
        self.strict_html = strict_html
        self._chats = chats
        self._transcript = transcript
        self._flood = flood
        self._files = files

    def methods(self) -> dict[str, Handler]:
        return {"sendPhoto": self._send_photo, "sendDocument": self._send_document}

    async def _send_photo(self, params: Params) -> JsonDict:
        chat_id = params.chat_id()
        caption = self._caption(params)
        stored = self._upload(params, "photo", "photos")
        if len(stored.data) > MAX_PHOTO_BYTES:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        width, height = _image_size(stored.data)
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        return await self._send(
            chat_id, params, caption, stored, "sendPhoto", photo=[size | {"width": width, "height": height}]
        )

    async def _send_document(self, params: Params) -> JsonDict:
        chat_id = params.chat_id()
        caption = self._caption(params)
        stored = self._upload(params, "document", "documents")
        if len(stored.data) > MAX_DOCUMENT_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        return await self._send(chat_id, params, caption, stored, "sendDocument", document=stored.document())

    def _caption(self, params: Params) -> FormattedText:
        text = params.string("caption")
        if not text:
            return FormattedText("", [])
        try:
            formatted = compose_text(
                text,
                params.string("parse_mode"),
                params.json("caption_entities", "caption entities"),
                strict=self.strict_html,
            )
        except ApiError as error:
            if error.description.endswith("message is too long"):
                raise bad_request("message caption is too long") from None
            raise
        if utf16_len(formatted.text) > MAX_CAPTION_UTF16:
            raise bad_request("message caption is too long")
        return formatted

    def _upload(self, params: Params, field: str, kind: str) -> StoredFile:
        """The file in `field`: an upload (directly, or `attach://<name>`), or a file id we hold."""
        value = params.upload(field)
        name = params.string(field) if value is None else None
        if name is not None and name.startswith("attach://"):
            value = params.upload(name.removeprefix("attach://"))
        if isinstance(value, FileField):
            data = value.file.read()
            return self._files.add(data, kind, value.filename, value.content_type)
        stored = self._files.get(name)
        if stored is None:
            raise bad_request(
                f"there is no {field} in the request"
                if name is None
                else "wrong file identifier/HTTP URL specified"
            )
        return stored

    async def _send(
        self,
        chat_id: int,
        params: Params,
        caption: FormattedText,
        stored: StoredFile,
        method: str,
        **media: object,
    ) -> JsonDict:
        if chat_id in self._chats.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        self._flood.enforce(chat_id, count_for_chat=True)
        message: JsonDict = {
            "message_id": self._chats.next_message_id(chat_id),
            "from": bot_user(),
            "chat": self._chats.chat_json(chat_id),
            "date": int(time.time()),
            **media,
        }
        if caption.text:
            message["caption"] = caption.text
        if caption.entities:
            message["caption_entities"] = caption.entities
        self._chats.store(message)
        sent = SentMessage(
            chat_id=chat_id,
            message_id=message["message_id"],
            text=caption.text,
            entities=copy.deepcopy(caption.entities),
            reply_markup=None,
            parse_mode=params.string("parse_mode"),
            method=method,
            time=time.time(),
            media=stored.data,
            media_name=stored.file_name,
        )
        await self._transcript.record(sent)
        return copy.deepcopy(message)


def _image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of an image Pillow can read; anything else is refused as Telegram refuses it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            size = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise bad_request("IMAGE_PROCESS_FAILED") from None
    return size
