"""`setup/start` as a person runs it in a terminal: the demo runs as long as
Odoo does, a helper that stops is named and the rest runs on, and Ctrl-C stops
everything the script started, with and without --observe.

The script runs in a pseudo-terminal under a stand-in for an interactive shell
(a session of its own whose foreground process group is the script's), so
Ctrl-C is the terminal's: SIGINT to every process of that group. It starts once
per mode, without the simulator, on a copy of the demo plant's database that
setup/test prepared, against a virtual host of the broker of its own (the
demo's queues have fixed names).
"""

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
import requests
from harness import free_port_block, wait_for

ROOT = Path(__file__).resolve().parent.parent

# What an interactive shell does with a command: a process group of its own,
# made the terminal's foreground group. Prints the command's exit code.
SHELL = """
import fcntl, os, sys, termios
terminal = os.open(sys.argv[1], os.O_RDWR)
fcntl.ioctl(terminal, termios.TIOCSCTTY, 0)
job = os.fork()
if job == 0:
    os.setpgid(0, 0)
    for fd in (0, 1, 2):
        os.dup2(terminal, fd)
    os.execv(sys.argv[2], sys.argv[2:])
try:
    os.setpgid(job, job)
except PermissionError:
    pass  # the child ran exec already: it made its group itself (shells do the same)
os.tcsetpgrp(terminal, job)
_, status = os.waitpid(job, 0)
print(os.waitstatus_to_exitcode(status), flush=True)
"""

# the processes of the demo, by a part of their command line
ALWAYS = {
    "the demo webhook receiver": "demo/receiver.py",
    "the demo fake WMS": "demo/fake_wms.py",
    "Odoo": "odoo-bin -c",
    "the command consumer": "mfg_broker_consumer",
    "the demo analytics consumer": "demo/analytics.py",
}
OBSERVING = {"the demo trace collector": "demo/traces.py", "Prometheus": "prometheus --config"}


@pytest.fixture(scope="module")
def broker_of_its_own():
    """$MFG_AMQP_URL with a virtual host of this module's own, deleted after."""
    url = os.environ.get("MFG_AMQP_URL")
    if not (url and os.environ.get("MFG_START_DB")):
        pytest.fail("end-to-end tests run through setup/test, which prepares their database")
    parts = urlsplit(url)
    vhost = f"mfg-start-{uuid.uuid4().hex[:8]}"
    rabbitmqctl = [str(ROOT / "setup" / "rabbitmqctl")]

    def run(*args):
        subprocess.run([*rabbitmqctl, *args], check=True, capture_output=True, timeout=120)

    run("add_vhost", vhost)
    try:
        run("set_permissions", "-p", vhost, unquote(parts.username or "guest"), ".*", ".*", ".*")
        yield parts._replace(path="/" + quote(vhost, safe="")).geturl()
    finally:
        run("delete_vhost", vhost)


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


class Terminal:
    """setup/start in a pseudo-terminal, as the foreground job of a shell."""

    def __init__(self, args, env):
        self.master, self.slave = os.openpty()
        self.output = b""
        self.shell = subprocess.Popen(
            [sys.executable, "-c", SHELL, os.ttyname(self.slave), str(ROOT / "setup" / "start"),
             *args],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self.reading = True
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        # the script blocks once the terminal's buffer is full: read it all
        while self.reading:
            if select.select([self.master], [], [], 0.2)[0]:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    return

    def text(self):
        return self.output.decode(errors="replace")

    def tail(self, chars=4000):
        return self.text()[-chars:]

    def ctrl_c(self):
        """What a terminal does with Ctrl-C: SIGINT to its foreground group."""
        os.write(self.master, b"\x03")

    def session(self):
        """(pid, command line) of every process of the shell's session but the shell."""
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == self.shell.pid:
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
                command = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue  # gone meanwhile
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) == self.shell.pid and fields[0] != "Z":
                found.append((int(entry.name), command))
        return found

    def close(self):
        for pid, _command in self.session():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.shell.poll() is None:
            self.shell.kill()
        self.shell.wait(timeout=30)
        self.reading = False
        self.reader.join(timeout=5)
        os.close(self.master)
        os.close(self.slave)


@pytest.mark.parametrize(
    "observe, helper",
    [(False, "the demo analytics consumer"), (True, "the demo trace collector")],
    ids=["plain", "observe"],
)
def test_a_helper_stops_alone_and_ctrl_c_stops_everything(broker_of_its_own, observe, helper):
    port = free_port_block(9)  # setup/start uses PORT to PORT+8
    args = ["--db", os.environ["MFG_START_DB"], "--port", str(port)]
    args += ["--observe"] if observe else []
    terminal = Terminal(args, {**os.environ, "MFG_AMQP_URL": broker_of_its_own})
    try:
        started = wait_for(
            lambda: "Stop with Ctrl-C." in terminal.text() or terminal.shell.poll() is not None,
            timeout=300,
        )
        assert started and terminal.shell.poll() is None, f"setup/start:\n{terminal.tail()}"
        expected = {**ALWAYS, **(OBSERVING if observe else {})}

        def running(name):
            return [pid for pid, command in terminal.session() if expected[name] in command]

        assert wait_for(
            lambda: all(running(name) for name in expected), timeout=30
        ), f"not all of {sorted(expected)} run: {terminal.session()}"

        # a helper that dies is named, with why, and takes nothing down
        os.kill(running(helper)[0], signal.SIGKILL)
        named = f"{helper} stopped (killed by SIGKILL); Odoo and the other helpers run on"
        assert wait_for(lambda: named in terminal.text(), timeout=30), terminal.tail()
        assert terminal.shell.poll() is None, terminal.tail()
        login = requests.get(f"http://127.0.0.1:{port}/web/login", timeout=30)
        assert login.status_code == 200
        assert all(running(name) for name in expected if name != helper), terminal.session()

        terminal.ctrl_c()
        try:
            terminal.shell.wait(timeout=90)
        except subprocess.TimeoutExpired:
            pytest.fail(f"setup/start still runs after Ctrl-C:\n{terminal.tail()}")
        assert terminal.shell.stdout.read().strip() == "130", terminal.tail()
        # Odoo's workers end a moment after their server
        assert wait_for(lambda: not terminal.session(), timeout=10), terminal.session()
        ports = [port, port + 3, port + 4, port + 6] + ([port + 7, port + 8] if observe else [])
        assert not [each for each in ports if listening(each)]
    finally:
        terminal.close()
