"""The embedded Celery broker: kombu's filesystem transport, with every message whole before a
worker can see it.

kombu (5.7) writes a message file in place — create, lock, write — while a worker polling the
folder moves the file away and reads it without taking the lock. A worker that polls between the
create and the write reads an empty file, fails to decode it and stops ("Unrecoverable error:
JSONDecodeError"), taking the message with it. Here a message is written under a name the worker
does not look at and then renamed to its real name: a rename within one directory is atomic, so a
worker finds either nothing or the whole message.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


def write_message(path: str, data: bytes) -> None:
    """Write `data` to `path` through a hidden sibling (".<name>.part") and a rename."""
    directory, name = os.path.split(path)
    partial = os.path.join(directory, f".{name}.part")  # a worker matches only "<…>.<queue>.msg"
    with open(partial, "wb") as f:
        f.write(data)
    os.replace(partial, path)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put a message on `queue`, visible only once complete (kombu's names and ordering)."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        try:
            write_message(path, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel

    @property
    def default_connection_params(self):
        # a folder has no host: with kombu's default ("localhost") every pooled connection
        # logged "No hostname was supplied" as a WARNING, on the console of a first run
        return {"port": self.default_port}
