"""`mnist-tui serve` refuses what it cannot serve with one clear line, and warns when it is public."""

from __future__ import annotations

import socket
import subprocess

import pytest

from cli_helpers import cli, start


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_port_in_use_is_an_error(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = cli(tmp_path, "serve", "--port", str(port), timeout=30)
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--port", "0"), "argument --port: got '0', expected a whole number from 1 to 65535"),
    (("--port", "70000"), "argument --port: got '70000'"),
    (("--port", "http"), "argument --port: got 'http'"),
    (("--host", "no-such-host.invalid"), "argument --host: cannot resolve 'no-such-host.invalid'"),
    (("--host", "192.0.2.1"), "argument --host: 192.0.2.1 is not an address of this machine"),
])
def test_bad_flags_exit_2(tmp_path, args, message):
    result = cli(tmp_path, "serve", *args, timeout=30)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_public_host_gets_a_warning_and_loopback_does_not(tmp_path):
    process = start(tmp_path, "serve", "--host", "0.0.0.0", "--port", str(_free_port()))
    try:
        line = process.stderr.readline()
        where = process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "warning: listening on 0.0.0.0" in line and "no authentication" in line
    assert f"browsers reach it as http://{socket.gethostname()}:" in where  # not the unconnectable 0.0.0.0
    process = start(tmp_path, "serve", "--port", str(_free_port()))
    try:
        out = process.stdout.readline()  # the server's banner: it started
        while out and "Serving" not in out:
            out = process.stdout.readline()
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "Serving" in out and "warning" not in err
