"""The console's listening socket (duoflow/serving.py ``listen``) gives connections that answer without waiting for
the client's acknowledgement: asyncio, under uvicorn, sets TCP_NODELAY on a connection only when the listening socket
names IPPROTO_TCP. Without it each answer of `duoflow serve` took 44 ms (its body held by Nagle's algorithm until the
client's delayed ACK of its headers)."""

from __future__ import annotations

import asyncio
import os
import socket

from duoflow.serving import handed_down, listen


def accepted_connection_has_nodelay(listening: socket.socket) -> bool:
    """Serve ``listening`` with asyncio as uvicorn does (``create_server(sock=...)``) and connect once."""

    async def check() -> bool:
        accepted: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        try:
            host, port = listening.getsockname()[:2]
            _, writer = await asyncio.open_connection(host, port)
            try:
                return await asyncio.wait_for(accepted, timeout=10)
            finally:
                writer.close()
        finally:
            server.close()

    return asyncio.run(check())


def test_a_connection_to_the_console_socket_sends_without_delay() -> None:
    assert accepted_connection_has_nodelay(listen("127.0.0.1", 0))


def test_so_does_one_to_a_socket_a_reload_supervisor_hands_down() -> None:
    lock = os.open(os.devnull, os.O_RDONLY)
    console, aws = listen("127.0.0.1", 0), listen("127.0.0.1", 0)
    handed_console, _, handed_aws = handed_down(os.dup(console.fileno()), lock, os.dup(aws.fileno()))
    try:
        assert accepted_connection_has_nodelay(handed_console)
    finally:
        for sock in (console, aws, handed_aws):
            sock.close()
        os.close(lock)


def test_create_server_alone_would_not() -> None:
    """What the fix is for: the standard library's listening socket does not name its protocol."""
    assert not accepted_connection_has_nodelay(socket.create_server(("127.0.0.1", 0)))
