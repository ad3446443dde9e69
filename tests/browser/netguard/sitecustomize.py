"""Loaded by the server under test (via PYTHONPATH): any connection or name lookup that is not
loopback is refused and written to $INTERVIEWER_NETGUARD_LOG, so a test can assert that the
server itself reached nothing outside."""

from __future__ import annotations

import os
import socket

_LOG = os.environ.get("INTERVIEWER_NETGUARD_LOG")
_LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "", None}

if _LOG:
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    _getaddrinfo = socket.getaddrinfo

    def _record(what: str) -> None:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(what + "\n")

    def _host(address: object) -> object:
        return address[0] if isinstance(address, tuple) and address else None

    def connect(self: socket.socket, address: object) -> None:
        host = _host(address)
        if isinstance(address, tuple) and host not in _LOCAL:
            _record(f"connect {address!r}")
            raise OSError(f"netguard: outside connection refused: {address!r}")
        return _connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        host = _host(address)
        if isinstance(address, tuple) and host not in _LOCAL:
            _record(f"connect_ex {address!r}")
            return 111
        return _connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOCAL and not str(name).startswith("127."):
            _record(f"getaddrinfo {name!r}")
            raise socket.gaierror(socket.EAI_NONAME, "netguard: lookup refused")
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
