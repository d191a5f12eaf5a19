"""TDS packets over TCP, plain or TLS: framing, the TLS handshake carried in PRELOGIN packets
(or TLS first, for ``Encrypt=strict``), and a non-blocking look for an attention packet.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import struct
from collections.abc import Callable

SQL_BATCH = 0x01
RPC = 0x03
REPLY = 0x04
ATTENTION = 0x06
TRANSACTION = 0x0E
LOGIN7 = 0x10
PRELOGIN = 0x12

STATUS_EOM = 0x01
STATUS_RESET_CONNECTION = 0x08

HEADER = struct.Struct(">BBHHBB")
TLS_HANDSHAKE_RECORD = 0x16
_CHUNK = 65536


class ConnectionClosed(Exception):
    """The client closed the connection (or it broke)."""


class Transport:
    """A client connection: bytes in and out, through TLS once it is negotiated.

    :param sock: the accepted socket.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._tls: ssl.SSLObject | None = None
        self._tls_in = ssl.MemoryBIO()
        self._tls_out = ssl.MemoryBIO()
        self._buffer = bytearray()
        self.tls_version: str | None = None
        self.alpn: str | None = None

    @property
    def encrypted(self) -> bool:
        """Whether TLS is on right now."""
        return self._tls is not None

    def first_byte(self) -> int | None:
        """The first byte the client sent, without consuming it (None when it hung up)."""
        data = self.sock.recv(1, socket.MSG_PEEK)
        return data[0] if data else None

    # -- TLS -------------------------------------------------------------------------------

    def start_tls_first(self, context: ssl.SSLContext) -> None:
        """TDS 8.0: the TLS handshake runs directly on the socket, before any TDS packet."""
        self._handshake(context, self._flush_raw, self._receive_raw)

    def start_tls_in_prelogin(self, context: ssl.SSLContext) -> None:
        """TDS 7.x: handshake records travel inside PRELOGIN packets, both ways."""
        self._handshake(context, self._send_prelogin, lambda: self.read_message()[2])

    def _handshake(self, context: ssl.SSLContext, send: Callable[[bytes], None],
                   receive: Callable[[], bytes]) -> None:
        tls = context.wrap_bio(self._tls_in, self._tls_out, server_side=True)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                send(self._tls_out.read())
                self._tls_in.write(receive())
        send(self._tls_out.read())
        self._started(tls)

    def _send_prelogin(self, data: bytes) -> None:
        if data:
            self.send_message(PRELOGIN, data, 4096, 0)

    def _receive_raw(self) -> bytes:
        data = self.sock.recv(_CHUNK)
        if not data:
            raise ConnectionClosed from None
        return data

    def stop_tls(self) -> None:
        """Back to plaintext (login-only encryption ends right after LOGIN7)."""
        self._tls = None

    def _started(self, tls: ssl.SSLObject) -> None:
        self._tls = tls
        self.tls_version = tls.version()
        self.alpn = tls.selected_alpn_protocol()

    # -- bytes -----------------------------------------------------------------------------

    def _flush_raw(self, data: bytes) -> None:
        if data:
            self.sock.sendall(data)

    def send(self, data: bytes) -> None:
        """Send bytes (encrypted when TLS is on)."""
        if self._tls is None:
            self.sock.sendall(data)
            return
        self._tls.write(data)
        self._flush_raw(self._tls_out.read())

    def _fill(self, timeout: float | None) -> bool:
        """Read more plaintext into the buffer; False when nothing came within ``timeout``."""
        while True:
            if self._tls is not None:
                try:
                    chunk = self._tls.read(_CHUNK)
                except ssl.SSLWantReadError:
                    chunk = None
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    raise ConnectionClosed from None
                if chunk is not None:
                    if not chunk:
                        raise ConnectionClosed
                    self._buffer += chunk
                    return True
            if timeout is not None and not select.select([self.sock], [], [], timeout)[0]:
                return False
            data = self.sock.recv(_CHUNK)
            if not data:
                raise ConnectionClosed
            if self._tls is None:
                self._buffer += data
                return True
            self._tls_in.write(data)

    def _take(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill(None)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def has_data(self, timeout: float = 0) -> bool:
        """Whether the client sent something not read yet, waiting up to ``timeout`` seconds."""
        return bool(self._buffer) or self._fill(timeout)

    # -- packets ---------------------------------------------------------------------------

    def read_packet(self) -> tuple[int, int, bytes]:
        """One packet: its type, status and payload."""
        kind, status, length, _spid, _packet, _window = HEADER.unpack(self._take(HEADER.size))
        if length < HEADER.size:
            raise ConnectionClosed
        return kind, status, self._take(length - HEADER.size)

    def read_message(self) -> tuple[int, int, bytes]:
        """A whole message (packets up to the end-of-message bit): type, first status, payload."""
        kind, status, payload = self.read_packet()
        first_status = status
        parts = [payload]
        while not status & STATUS_EOM:
            _kind, status, payload = self.read_packet()
            parts.append(payload)
        return kind, first_status, b"".join(parts)

    def send_message(self, kind: int, payload: bytes, packet_size: int, spid: int,
                     complete: bool = True) -> None:
        """Send ``payload`` in packets of at most ``packet_size`` bytes.

        :param complete: False leaves the last packet without its end-of-message bit (used to
            break a response off in the middle).
        """
        room = packet_size - HEADER.size
        chunks = [payload[i:i + room] for i in range(0, len(payload), room)] or [b""]
        out = bytearray()
        for number, chunk in enumerate(chunks, start=1):
            last = number == len(chunks)
            status = STATUS_EOM if last and complete else 0
            out += HEADER.pack(kind, status, len(chunk) + HEADER.size, spid, number % 256, 0)
            out += chunk
        self.send(bytes(out))

    def close(self) -> None:
        """Close the socket, whatever state it is in."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
