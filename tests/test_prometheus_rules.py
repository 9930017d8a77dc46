"""The Prometheus configuration and alert rules the suite ships
(`observability/`), checked by Prometheus's own `promtool` (Debian's
`prometheus` package, installed by setup/test)."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
OBSERVABILITY = ROOT / "observability"
RULE_TESTS = Path(__file__).resolve().parent / "prometheus" / "alerts_test.yml"


def promtool(*args, cwd=None):
    if not shutil.which("promtool"):
        pytest.fail("promtool is missing: setup/test installs Debian's prometheus package")
    return subprocess.run(["promtool", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_scrape_configuration_is_valid(tmp_path):
    """The shipped configuration, with its key file in place as the comments
    ask, passes `promtool check config` (which also checks the rule file it
    names)."""
    for name in ("prometheus.yml", "alerts.yml"):
        shutil.copy(OBSERVABILITY / name, tmp_path / name)
    (tmp_path / "mfg-metrics.key").write_text("mfg_0000_not-a-real-key\n")
    result = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout + result.stderr


def test_scrape_configuration_reads_the_suite_with_a_key():
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"] == {"type": "Bearer", "credentials_file": "mfg-metrics.key"}


def test_alert_rules_are_valid():
    result = promtool("check", "rules", str(OBSERVABILITY / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_fire_when_they_should_and_only_then():
    """tests/prometheus/alerts_test.yml feeds each rule series that should fire
    it and series that should not; promtool compares the alerts (labels and
    rendered texts) with the expected ones at each evaluation time."""
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_is_tested_and_tells_a_person_what_to_do():
    rules = [
        rule
        for group in yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    names = {rule["alert"] for rule in rules}
    assert names - fired == set(), "alerts no unit test fires"
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        # a description says what is wrong and where to act
        assert len(rule["annotations"]["description"].split()) >= 25, rule["alert"]
