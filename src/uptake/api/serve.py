"""``uptake serve``: the scores API on uvicorn, over the published file."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from uptake.serving import DEFAULT_PUBLISHED_PATH, published_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    parser.add_argument(
        "--db",
        help=(
            "the published file to serve, opened read-only (default: $UPTAKE_PUBLISHED_PATH "
            f"or {DEFAULT_PUBLISHED_PATH}); never the build file"
        ),
    )
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from uptake.api.app import create_app
    from uptake.cli import db_path

    published = Path(args.db) if args.db else published_path()
    # The build file is dbt's: a reader would hold it while a build runs and could see a
    # half-built state. The API reads only what `uptake publish` wrote.
    if published.resolve() == db_path().resolve():
        raise ValueError(
            f"{published} is the build file; serve the published file (`uptake publish` "
            "writes it) instead"
        )
    if not 0 < args.port < 65536:
        raise ValueError(f"--port {args.port}: not a TCP port (1-65535)")
    if not published.is_file():
        # Served anyway: every data route answers 503 until a build publishes the file.
        print(f"uptake serve: no published file at {published} yet; routes answer 503 until then")
    uvicorn.run(create_app(published), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def local_server(
    published: Path, *, env: dict[str, str] | None = None, startup_seconds: float = 30
) -> Iterator[str]:
    """`uptake serve` over ``published`` as a child process on a free port of 127.0.0.1
    (for the tests and the load run); yields its base URL once it answers, stops it after."""
    port = free_port()
    uptake = Path(sys.executable).with_name("uptake")
    process = subprocess.Popen(
        [str(uptake), "serve", "--db", str(published), "--port", str(port)]
        + ["--log-level", "warning"],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uptake serve stopped: {process.stdout.read()}")
            try:
                urllib.request.urlopen(base + "/openapi.json", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"uptake serve did not answer within {startup_seconds} s"
                    ) from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
