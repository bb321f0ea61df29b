"""Operations: run-failure alerts (log file, webhook) on a real failed run, and freshness policies.

The alert sensor is evaluated the way the daemon does (``evaluate_tick`` against a real instance's
event log, first to set its cursor, then after a run failed); the webhook is a local HTTP server on
127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from orchestration.alerts import ALERT_SENSOR, WEBHOOK_VARIABLE, alerts_resource, build_alert_sensor

FAILURE = "orders.csv of 2024-03-01 is unreadable"


@dg.op
def load_orders():
    raise ValueError(FAILURE)


@dg.job(partitions_def=dg.DailyPartitionsDefinition(start_date="2024-01-01"))
def nightly_load():
    load_orders()


class _Webhook:
    """An HTTP server on 127.0.0.1 that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers["Content-Length"])
                received.append((self.path, self.headers["Content-Type"], json.loads(self.rfile.read(length))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T0K3N-secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Webhook:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    """A real instance holding one failed partitioned run, and the alert sensor's cursor from before it."""
    home = tmp_path_factory.mktemp("alerts_home")
    (home / "dagster_home").mkdir()
    with dg.instance_for_test(temp_dir=str(home / "dagster_home")) as instance:
        sensor = build_alert_sensor()
        defs = dg.Definitions(jobs=[nightly_load], sensors=[sensor], resources={"alerts": alerts_resource()})
        before = _tick(instance, defs, None, alerts_resource())
        result = defs.resolve_job_def("nightly_load").execute_in_process(instance=instance, partition_key="2024-03-01", raise_on_error=False)
        assert not result.success
        yield instance, defs, before.cursor, result.run_id, home


def _tick(instance, defs: dg.Definitions, cursor: str | None, alerts) -> dg.SensorExecutionData:
    context = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def(), cursor=cursor, resources={"alerts": alerts})
    return defs.resolve_sensor_def(ALERT_SENSOR).evaluate_tick(context)


def _expected_alert(run_id: str) -> dict:
    return {
        "job": "nightly_load",
        "run_id": run_id,
        "status": "FAILURE",
        "partition": "2024-03-01",
        "error": "Execution of run for \"nightly_load\" failed. Steps failed: ['load_orders'].",
        "failed_steps": [f"load_orders: ValueError: {FAILURE}"],
        "text": f"salesops: run {run_id} of job nightly_load failed (partition 2024-03-01): load_orders: ValueError: {FAILURE}",
    }


def test_a_failed_run_appends_one_json_line_to_the_alert_log_under_salesops_home(failed_run, monkeypatch) -> None:
    instance, defs, cursor, run_id, home = failed_run
    monkeypatch.setenv("SALESOPS_HOME", str(home))
    monkeypatch.delenv("SALESOPS_ALERT_LOG", raising=False)
    monkeypatch.delenv(WEBHOOK_VARIABLE, raising=False)
    alerts = alerts_resource()
    assert alerts.webhook_url is None and alerts.log_path == str(home.resolve() / "alerts" / "run_failures.jsonl")
    tick = _tick(instance, defs, cursor, alerts)
    _tick(instance, defs, tick.cursor, alerts)  # the next tick: the failure is not alerted twice
    (line,) = Path(alerts.log_path).read_text(encoding="utf-8").splitlines()
    alert = json.loads(line)
    assert {k: v for k, v in alert.items() if k != "at"} == _expected_alert(run_id)


def test_with_a_webhook_configured_the_alert_is_also_posted_as_json(failed_run, monkeypatch, tmp_path) -> None:
    instance, defs, cursor, run_id, _home = failed_run
    monkeypatch.setenv("SALESOPS_ALERT_LOG", str(tmp_path / "alerts.jsonl"))
    with _Webhook() as webhook:
        monkeypatch.setenv(WEBHOOK_VARIABLE, webhook.url)
        alerts = alerts_resource()
        assert isinstance(alerts.webhook_url, dg.EnvVar)  # the URL (a secret) is not in the configuration
        assert alerts.process_config_and_initialize().webhook_url == webhook.url
        _tick(instance, defs, cursor, alerts)
    ((path, content_type, body),) = webhook.received
    assert (path, content_type) == ("/hooks/T0K3N-secret", "application/json")
    assert {k: v for k, v in body.items() if k != "at"} == _expected_alert(run_id)
    assert json.loads((tmp_path / "alerts.jsonl").read_text(encoding="utf-8")) == body


def test_an_unreachable_webhook_is_reported_on_the_run_without_showing_the_token(failed_run, monkeypatch, tmp_path) -> None:
    instance, defs, cursor, run_id, _home = failed_run
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once the probe is closed
    monkeypatch.setenv("SALESOPS_ALERT_LOG", str(tmp_path / "alerts.jsonl"))
    monkeypatch.setenv(WEBHOOK_VARIABLE, f"http://127.0.0.1:{port}/hooks/T0K3N-secret")
    (reaction,) = _tick(instance, defs, cursor, alerts_resource()).dagster_run_reactions
    assert reaction.dagster_run.run_id == run_id and reaction.error.cls_name == "AlertDeliveryError"
    assert reaction.error.message.startswith(
        f"orchestration.alerts.AlertDeliveryError: the alert webhook at http://127.0.0.1:{port} could not be reached ("
    )
    assert "T0K3N" not in reaction.error.to_string()
    assert json.loads((tmp_path / "alerts.jsonl").read_text(encoding="utf-8"))["run_id"] == run_id  # logged all the same


@pytest.fixture(scope="module")
def project_defs() -> dg.Definitions:
    from orchestration.definitions import build_definitions

    return build_definitions()


def test_every_raw_source_asset_carries_the_freshness_policy(project_defs) -> None:
    from orchestration.ingest.specs import load_specs

    graph = project_defs.resolve_asset_graph()
    raw_keys = {key for key in graph.get_all_asset_keys() if key.path[0] == "raw"}
    assert raw_keys == {dg.AssetKey(["raw", spec.table_name]) for spec in load_specs()}
    for key in raw_keys:
        policy = graph.get(key).freshness_policy
        assert (policy.fail_window.to_timedelta(), policy.warn_window.to_timedelta()) == (timedelta(hours=30), timedelta(hours=26)), key


def test_the_alert_sensor_runs_by_default_in_the_code_location(project_defs) -> None:
    sensor = project_defs.resolve_sensor_def(ALERT_SENSOR)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.required_resource_keys == {"alerts"}
