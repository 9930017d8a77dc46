"""Multiprocess mode: the files of processes that are gone are merged, and the
totals are kept. Real processes count into a real directory."""

import os
import subprocess
import sys
import tempfile
from unittest.mock import patch

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from odoo.tests import BaseCase, tagged

from .. import metrics

# a process of the server: counts into the directory as a worker does
WORKER = """
import os, sys
from prometheus_client import Counter, Histogram
requests = Counter("mfg_requests", "requests", ["transport"], registry=None)
latency = Histogram("mfg_request_duration_seconds", "latency", buckets=(0.1, 1.0), registry=None)
for _ in range(int(sys.argv[1])):
    requests.labels(transport="rest").inc()
    latency.observe(0.05)
if len(sys.argv) > 2:  # stay alive until told to stop
    print("counted", flush=True)
    sys.stdin.read()
"""


def totals(directory):
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    return (
        registry.get_sample_value("mfg_requests_total", {"transport": "rest"}) or 0.0,
        registry.get_sample_value("mfg_request_duration_seconds_bucket", {"le": "0.1"}) or 0.0,
        registry.get_sample_value("mfg_request_duration_seconds_count") or 0.0,
    )


def files(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".db"))


@tagged("post_install", "-at_install")
class TestMultiprocessFiles(BaseCase):
    def setUp(self):
        super().setUp()
        self.directory = tempfile.mkdtemp(prefix="mfg-metrics-test-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.directory], check=False)
        self.env_vars = {**os.environ, metrics.DIRECTORY_VARIABLE: self.directory}

    def run_worker(self, count):
        subprocess.run(
            [sys.executable, "-c", WORKER, str(count)], env=self.env_vars, check=True, timeout=60
        )

    def test_dead_workers_are_merged_and_totals_kept(self):
        for count in (3, 4, 5):  # three recycled workers
            self.run_worker(count)
        self.assertEqual(len(files(self.directory)), 6)  # a counter and a histogram file each
        self.assertEqual(totals(self.directory), (12, 12, 12))

        self.assertEqual(metrics.merge_dead_processes(self.directory), 6)
        self.assertEqual(files(self.directory), ["counter_archive.db", "histogram_archive.db"])
        self.assertEqual(totals(self.directory), (12, 12, 12))

        # more workers come and go: the archive grows in value, not in files
        self.run_worker(2)
        self.run_worker(1)
        self.assertEqual(metrics.merge_dead_processes(self.directory), 4)
        self.assertEqual(files(self.directory), ["counter_archive.db", "histogram_archive.db"])
        self.assertEqual(totals(self.directory), (15, 15, 15))

    def test_running_processes_keep_their_files(self):
        self.run_worker(2)
        alive = subprocess.Popen(
            [sys.executable, "-c", WORKER, "7", "wait"],
            env=self.env_vars,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(alive.kill)
        self.assertEqual(alive.stdout.readline().strip(), "counted")
        self.assertEqual(metrics.merge_dead_processes(self.directory), 2)
        self.assertIn(f"counter_{alive.pid}.db", files(self.directory))
        self.assertEqual(totals(self.directory), (9, 9, 9))
        # a server start drops what stopped processes left, not a running one's counts
        self.assertEqual(metrics.clean_directory(self.directory), 2)  # the archives
        self.assertEqual(totals(self.directory), (7, 7, 7))
        alive.communicate("", timeout=30)
        self.assertEqual(metrics.merge_dead_processes(self.directory), 2)
        self.assertEqual(totals(self.directory), (7, 7, 7))


@tagged("post_install", "-at_install")
class TestServerStart(BaseCase):
    def test_only_the_server_itself_empties_the_directory(self):
        import odoo
        import odoo.service.server

        self.addCleanup(setattr, odoo, "evented", odoo.evented)
        # the tests' own HTTP server is running: as if none had started yet
        self.startPatcher(patch.object(odoo.service.server, "server", None))
        with patch.object(sys, "argv", ["odoo-bin", "-c", "odoo.conf"]):
            odoo.evented = False
            self.assertTrue(metrics._is_server_start())
            # the websocket process that the server starts after its workers:
            # Odoo takes "gevent" out of its arguments; it must not empty the
            # directory (the files of a worker that died would go unmerged)
            odoo.evented = True
            self.assertFalse(metrics._is_server_start())
        odoo.evented = False
        for argv in (
            ["odoo-bin", "shell", "-c", "odoo.conf"],
            ["odoo-bin", "--addons-path=addons", "mfg_broker_consumer", "-c", "odoo.conf"],
        ):
            with patch.object(sys, "argv", argv):
                self.assertFalse(metrics._is_server_start(), argv)
