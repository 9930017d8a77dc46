"""The Prometheus runtime of the telemetry service, free of the ORM.

Counters and histograms live in this process (``prometheus_client``). Under
Odoo's prefork workers each process writes its own files in the multiprocess
directory (``PROMETHEUS_MULTIPROC_DIR``, or the server option
``mfg_integration_metrics_dir``) and a scrape sums them all. The files of
processes that are gone (recycled workers, a stopped consumer) are merged into
one archive file per metric type under a file lock, so counters never go down
and the directory does not grow with every recycled worker.
"""

import fcntl
import glob
import logging
import os
import sys
import threading
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector

_logger = logging.getLogger(__name__)

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
DIRECTORY_OPTION = "mfg_integration_metrics_dir"
# "mfg_integration_metrics = False" in the server's configuration: nothing is counted
ENABLED_OPTION = "mfg_integration_metrics"
# the metric types whose values only add up (we keep no multiprocess gauges)
MERGED_TYPES = ("counter", "histogram")
ARCHIVE = "archive"  # counter_archive.db holds what dead processes counted
# the label of a metric about one company's records; empty: counted for none
COMPANY_LABEL = "company"
LOCK_FILE = ".merge.lock"

_lock = threading.Lock()
_metrics = {}  # name: prometheus metric, made at its first use
_refused = set()  # names already reported as unusable: one log line each
_registry = CollectorRegistry(auto_describe=True)  # this process's, when single-process
_enabled = True


def multiprocess_directory():
    """The directory that every process of this server writes to, or None."""
    return os.environ.get(DIRECTORY_VARIABLE) or None


def configure(directory, server_start=False):
    """Write metrics to ``directory`` from now on (before any metric exists).

    :param server_start: the HTTP server itself is starting: what earlier
        processes left is dropped (counters start again at zero, as Prometheus
        expects of a restarted target), but the files of processes that still
        run (a command consumer started first) are kept. Otherwise (a worker, a
        consumer, a shell) dead processes' files are only merged into the archive.
    """
    os.makedirs(directory, exist_ok=True)
    os.environ[DIRECTORY_VARIABLE] = directory
    # prometheus_client chooses file-backed values when it is first imported:
    # choose again now that the directory is known
    values.ValueClass = values.get_value_class()
    if server_start:
        removed = clean_directory(directory)
        _logger.info("Metrics of all workers in %s (%s old files removed)", directory, removed)
    else:
        merge_dead_processes(directory)


def configure_from_server_config(config):
    """Find the directory (environment first, then the server option) and
    configure it; called once per process when the addon is loaded."""
    global _enabled
    _enabled = str(config.get(ENABLED_OPTION, True)).lower() not in ("0", "false", "no", "off")
    if not _enabled:
        _logger.info("Metrics are switched off (%s = False): nothing is counted", ENABLED_OPTION)
        return None
    directory = multiprocess_directory() or config.get(DIRECTORY_OPTION)
    if not directory:
        if config.get("workers"):
            _logger.warning(
                "Odoo runs %s workers but no metrics directory is set (%s or the option %s): "
                "each scrape of /metrics shows the counts of one worker only.",
                config["workers"],
                DIRECTORY_VARIABLE,
                DIRECTORY_OPTION,
            )
        return None
    configure(directory, server_start=_is_server_start())
    return directory


def _is_server_start():
    """Whether this is the start of the HTTP server (odoo-bin [server]), before
    it forks any worker; not a worker, a command consumer, a shell, nor the
    websocket process that the server starts once its workers run (Odoo takes
    "gevent" out of that process's arguments and marks it ``odoo.evented``)."""
    import odoo
    import odoo.service.server

    if odoo.evented:
        return False
    args = sys.argv[1:]
    if args and args[0].startswith("--addons-path=") and len(args) > 1:
        args = args[1:]
    command = args[0] if args and not args[0].startswith("-") else "server"
    return command == "server" and odoo.service.server.server is None


# ----------------------------------------------------------------------
# Counting
# ----------------------------------------------------------------------
def _make(name, definition):
    kwargs = {"labelnames": tuple(definition.labels)}
    # file-backed values do not need a registry: the scrape reads the files
    kwargs["registry"] = None if multiprocess_directory() else _registry
    if definition.kind == "counter":
        return Counter(name, definition.documentation, **kwargs)
    if definition.kind == "histogram":
        if definition.buckets:
            kwargs["buckets"] = definition.buckets
        return Histogram(name, definition.documentation, **kwargs)
    raise ValueError(f"metric {name}: kind {definition.kind!r} is neither counter nor histogram")


def _metric(name, definitions):
    """The metric ``name``, made from ``definitions()`` the first time."""
    metric = _metrics.get(name)
    if metric is None:
        with _lock:
            metric = _metrics.get(name)
            if metric is None:
                definition = definitions().get(name)
                if definition is None:
                    raise ValueError(
                        f"metric {name} is not declared: add it to _metric_definitions()"
                    )
                metric = _metrics[name] = _make(name, definition)
    return metric


def record(name, labels, definitions, amount=None, value=None):
    """Add ``amount`` to a counter, or observe ``value`` in a histogram.

    Telemetry never fails the work it measures: an undeclared metric or wrong
    labels are logged once (an error: a programming mistake) and dropped."""
    if not _enabled:
        return
    try:
        child = _metric(name, definitions)
        if COMPANY_LABEL in child._labelnames and COMPANY_LABEL not in labels:
            labels = dict(labels, **{COMPANY_LABEL: ""})
        if labels or child._labelnames:
            child = child.labels(**{key: str(label) for key, label in labels.items()})
        if amount is not None:
            child.inc(amount)
        else:
            child.observe(value)
    except ValueError as error:
        if name not in _refused:
            _refused.add(name)
            _logger.error("Metric %s not recorded: %s", name, error)


# ----------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------
@contextmanager
def _directory_lock(directory, exclusive):
    with open(os.path.join(directory, LOCK_FILE), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def render(gauge_families=(), keep=None):
    """The Prometheus text of every counter and histogram (of every process in
    multiprocess mode) and of ``gauge_families``.

    :param keep: ``keep(family, labels)`` says whether a sample is shown; a
        family whose every sample is left out is still named (without samples)
    """
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(_Families(gauge_families, keep))
    directory = multiprocess_directory()
    if not directory:
        return generate_latest(_Families(_registry.collect(), keep)) + generate_latest(gauges)
    merge_dead_processes(directory)
    files = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(files, path=directory)
    # shared: a merge never runs while the files are read (it would count twice)
    with _directory_lock(directory, exclusive=False):
        counted = generate_latest(_Families(files.collect(), keep))
    return counted + generate_latest(gauges)


class _Families:
    """A collector of ``families``, with only the samples ``keep`` keeps."""

    def __init__(self, families, keep=None):
        self.families = families
        self.keep = keep

    def collect(self):
        for family in self.families:
            if self.keep is not None:
                family.samples = [
                    sample for sample in family.samples if self.keep(family, sample.labels)
                ]
            yield family


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _process_files(directory):
    """{metric type: [(pid, path)]} of the per-process files in ``directory``."""
    found = {}
    for path in glob.glob(os.path.join(directory, "*.db")):
        kind, _sep, pid = os.path.basename(path)[:-3].partition("_")
        if kind in MERGED_TYPES and pid.isdigit():
            found.setdefault(kind, []).append((int(pid), path))
    return found


def merge_dead_processes(directory):
    """Add what processes that are gone counted to the archive of each metric
    type, and remove their files. Returns the number of files merged."""
    merged = 0
    with _directory_lock(directory, exclusive=True):
        for kind, files in _process_files(directory).items():
            dead = [path for pid, path in files if pid != os.getpid() and not _process_alive(pid)]
            if not dead:
                continue
            archive = MmapedDict(os.path.join(directory, f"{kind}_{ARCHIVE}.db"))
            try:
                for path in dead:
                    # a counter's value, or one histogram bucket's count: both add up
                    for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(path):
                        total, _old = archive.read_value(key)
                        archive.write_value(key, total + value, 0.0)
            finally:
                archive.close()
            for path in dead:
                os.remove(path)
            merged += len(dead)
    if merged:
        _logger.info("Merged the metrics of %s files of stopped processes", merged)
    return merged


def clean_directory(directory):
    """Remove the archives and the files of processes that are gone; keep those
    of running processes. Returns the number of files removed."""
    removed = 0
    with _directory_lock(directory, exclusive=True):
        for path in glob.glob(os.path.join(directory, "*.db")):
            kind, _sep, pid = os.path.basename(path)[:-3].partition("_")
            if pid.isdigit() and int(pid) != os.getpid() and _process_alive(int(pid)):
                continue
            os.remove(path)
            removed += 1
    return removed
