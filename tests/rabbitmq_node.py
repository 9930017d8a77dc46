"""A RabbitMQ node of a test's own, in a folder, that the test may stop, kill
and start again: for fault tests, which must never touch the machine's broker.

Debian's ``rabbitmq-server`` runs it (as the ``rabbitmq`` user when the tests
run as root, RabbitMQ's files being that user's) on free ports of 127.0.0.1,
with a configuration of its own: the system's may name listeners or plugins
that a second node cannot open. Its data (mnesia) stays in the folder, so a
stopped or killed node starts again with its queues and messages. The guest
user logs in from localhost only, which is where the tests are.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pika
from harness import free_port
from pika.adapters.utils.connection_workflow import AMQPConnectorException
from pika.exceptions import AMQPError

START_TIMEOUT = 60
STOP_TIMEOUT = 60


def _script(name):
    """A RabbitMQ script; on Debian the one behind the /usr/sbin wrapper (the
    wrapper runs it as 'rabbitmq' with that user's home and cookie)."""
    debian = Path("/usr/lib/rabbitmq/bin") / name
    if debian.exists():
        return str(debian)
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise RuntimeError(f"{name} is not installed (Debian: apt-get install rabbitmq-server)")
    return found


def amqp_answers(url, timeout=3):
    """True when an AMQP handshake and login to url succeed within timeout seconds."""
    params = pika.URLParameters(url)
    params.socket_timeout = params.stack_timeout = timeout
    params.connection_attempts = 1
    try:
        pika.BlockingConnection(params).close()
    except (AMQPError, AMQPConnectorException, OSError):  # not (yet) a broker that lets us in
        return False
    return True


def _erlang_vms(marker):
    """The PIDs of the live Erlang VMs whose environment holds marker (a
    NAME=value entry), zombies aside."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            # "PID (comm) STATE ..."
            stat = Path(entry.path, "stat").read_text()
            comm, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2]
            if (
                comm.startswith("beam")
                and state != "Z"
                and marker in Path(entry.path, "environ").read_bytes().split(b"\0")
            ):
                found.append(int(entry.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


class PrivateRabbitNode:
    """``start()``, ``stop()`` (graceful), ``kill()`` (SIGKILL), ``running()``,
    ``cleanup()`` (stop if running, remove the folder), ``rabbitmqctl(*args)``;
    clients connect to ``url``. Ports and node name are fixed for the object's
    life, so a start after a stop or a kill finds the same data."""

    def __init__(self, root):
        self.root = Path(root)
        self.port = free_port()
        self.dist_port = free_port()
        self.nodename = f"mfgtest{self.port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"
        self.log_path = self.root / "log" / f"{self.nodename}.log"
        # in the environment of the node's VM: how to find it without its PID
        # file (written a while after the start, removed before the VM ends)
        self._marker = f"RABBITMQ_MNESIA_BASE={self.root / 'mnesia'}".encode()

    # --- processes -----------------------------------------------------------
    def _as_owner(self, command, env=(), check=True):
        """Run command as the node's user, with HOME at the folder: the Erlang
        cookie that the node makes there is the one its CLI tools read."""
        owner = ["runuser", "-u", "rabbitmq", "--"] if os.geteuid() == 0 else []
        env = [
            f"HOME={self.root}",
            # the system's rabbitmq-env.conf would name another node
            f"RABBITMQ_CONF_ENV_FILE={self.root / 'rabbitmq-env.conf'}",
            f"RABBITMQ_NODENAME={self.nodename}",
            *env,
        ]
        result = subprocess.run(
            [*owner, "env", *env, *command], capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{os.path.basename(command[0])} {command[-1]} failed ({result.returncode}):\n"
                f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )
        return result

    def pids(self):
        """The PIDs of the node's Erlang VM (one, or none when it does not run)."""
        return _erlang_vms(self._marker)

    def running(self):
        """Whether the node's VM is alive (it may still be starting or stopping)."""
        return bool(self.pids())

    def _port_open(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def _log_since(self, offset):
        try:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
        except OSError:
            return "(no log)"
        errors = [line for line in text.splitlines() if "[error]" in line or "[critical]" in line]
        return "\n".join(errors[:15] or text.splitlines()[-15:])

    # --- life cycle ----------------------------------------------------------
    def start(self):
        """Start the node (again) and return once it accepts AMQP clients."""
        if self.running():
            raise RuntimeError(f"RabbitMQ node {self.nodename} runs already")
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "rabbitmq.conf").write_text(
            "# a test's node: listeners come from RABBITMQ_NODE_PORT\n"
        )
        (self.root / "enabled_plugins").write_text("[].\n")
        if os.geteuid() == 0:
            for folder, _dirs, files in os.walk(self.root):
                shutil.chown(folder, "rabbitmq")
                for name in files:
                    shutil.chown(os.path.join(folder, name), "rabbitmq")
        if self._as_owner(["test", "-w", str(self.root)], check=False).returncode != 0:
            raise RuntimeError(
                f"the node's user cannot write to {self.root}: put it in a folder that "
                "every user can reach (tempfile.mkdtemp), not in pytest's tmp_path"
            )
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._as_owner(
            [_script("rabbitmq-server"), "-detached"],
            [
                "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
                f"RABBITMQ_NODE_PORT={self.port}",
                f"RABBITMQ_DIST_PORT={self.dist_port}",
                f"RABBITMQ_MNESIA_BASE={self.root / 'mnesia'}",
                f"RABBITMQ_LOG_BASE={self.root / 'log'}",
                f"RABBITMQ_CONFIG_FILE={self.root / 'rabbitmq.conf'}",
                f"RABBITMQ_ENABLED_PLUGINS_FILE={self.root / 'enabled_plugins'}",
                "ERL_EPMD_ADDRESS=127.0.0.1",
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}",
            ],
        )
        started = time.monotonic()
        seen = False  # its VM (started in the background, so a moment after this)
        try:
            while time.monotonic() - started < START_TIMEOUT:
                # a TCP probe first: no failed AMQP attempts (nor their log lines) before it listens
                if self._port_open() and amqp_answers(self.url):
                    return
                if self.running():
                    seen = True
                elif seen or time.monotonic() - started > 5:
                    break  # its VM ended: a failed start
                time.sleep(0.25)
            reason = "did not accept AMQP clients" if self.running() else "stopped"
            raise RuntimeError(
                f"RabbitMQ node {self.nodename} {reason} on port {self.port} within "
                f"{time.monotonic() - started:.0f} s; from {self.log_path}:\n"
                f"{self._log_since(offset)}"
            )
        except BaseException:
            self._signal_and_wait(signal.SIGKILL, 10)  # no half-started node left behind
            raise

    def _signal_and_wait(self, signum, timeout):
        """Send signum to the node's VM; return once it has ended and its port is closed."""
        for pid in self.pids():
            os.kill(pid, signum)
        deadline = time.monotonic() + timeout
        while self.running() or self._port_open():
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {self.nodename} did not stop ({self.pids()})")
            time.sleep(0.1)

    def stop(self):
        """Stop the node gracefully (SIGTERM: RabbitMQ shuts down in order) and
        wait until its VM has ended and its port is closed."""
        self._signal_and_wait(signal.SIGTERM, STOP_TIMEOUT)

    def kill(self):
        """SIGKILL the node's Erlang VM, as a crash or the OOM killer would."""
        if not self.running():
            raise RuntimeError(f"RabbitMQ node {self.nodename} does not run")
        self._signal_and_wait(signal.SIGKILL, 10)

    def cleanup(self):
        """Stop the node if it runs, and remove its folder."""
        try:
            if self.running():
                try:
                    self.stop()
                except RuntimeError:
                    self._signal_and_wait(signal.SIGKILL, 10)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def rabbitmqctl(self, *args):
        """Run ``rabbitmqctl --quiet ARGS`` against this node; return its output."""
        cookie = (self.root / ".erlang.cookie").read_text().strip()
        node = ["-n", self.nodename, "--erlang-cookie", cookie]
        return self._as_owner([_script("rabbitmqctl"), *node, "--quiet", *args]).stdout
