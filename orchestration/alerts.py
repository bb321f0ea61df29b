"""Run-failure alerts: every failed run appends one JSON line to a log file and, when a webhook is
configured, is POSTed to it as JSON.

The log file is ``$SALESOPS_HOME/alerts/run_failures.jsonl`` unless ``SALESOPS_ALERT_LOG`` names
another; the webhook URL comes only from ``SALESOPS_ALERT_WEBHOOK_URL`` through Dagster's
``EnvVar`` (its value is a secret: it never appears in the run configuration, the UI or the logs).
See docs/operations.md, "Alerts".
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg

from orchestration.settings import salesops_paths

WEBHOOK_VARIABLE = "SALESOPS_ALERT_WEBHOOK_URL"
LOG_VARIABLE = "SALESOPS_ALERT_LOG"
ALERT_SENSOR = "alert_on_run_failure"


class AlertDeliveryError(RuntimeError):
    """The webhook did not accept an alert (the alert is in the log file all the same)."""


class RunFailureAlerts(dg.ConfigurableResource):
    """Where run-failure alerts go: a JSON-lines log file, and a webhook when one is configured."""

    log_path: str
    webhook_url: str | None = None
    timeout_seconds: float = 10.0

    def send(self, alert: dict) -> None:
        """Append ``alert`` to the log file, then POST it to the webhook (if any)."""
        log = Path(self.log_path)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(alert, sort_keys=True) + "\n")
        if self.webhook_url:
            self._post(alert)

    def _post(self, alert: dict) -> None:
        body = json.dumps(alert, sort_keys=True).encode("utf-8")
        request = urllib.request.Request(
            self.webhook_url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        where = _without_secrets(self.webhook_url)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            raise AlertDeliveryError(
                f"the alert webhook at {where} answered HTTP {error.code} for run {alert['run_id']}; "
                f"the alert is in {self.log_path}. Check {WEBHOOK_VARIABLE}."
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise AlertDeliveryError(
                f"the alert webhook at {where} could not be reached ({reason}) for run {alert['run_id']}; "
                f"the alert is in {self.log_path}. Check {WEBHOOK_VARIABLE}."
            ) from None
        if not 200 <= status < 300:
            raise AlertDeliveryError(f"the alert webhook at {where} answered HTTP {status} for run {alert['run_id']}")


def _without_secrets(url: str) -> str:
    """Scheme, host and port only: webhook paths and queries usually carry the token."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def alerts_resource() -> RunFailureAlerts:
    """The alert settings from the environment (read when definitions load, not at import)."""
    home = salesops_paths(os.environ.get("SALESOPS_HOME")).home
    log_path = os.environ.get(LOG_VARIABLE) or str(home / "alerts" / "run_failures.jsonl")
    webhook = dg.EnvVar(WEBHOOK_VARIABLE) if os.environ.get(WEBHOOK_VARIABLE) else None
    return RunFailureAlerts(log_path=log_path, webhook_url=webhook)


def step_errors(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """``<step>: <error>`` for every failed step of a run, from the instance's event log."""
    errors = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = record.dagster_event
        error = event.step_failure_data.error if event and event.step_failure_data else None
        cause = error.cause if error and error.cause else error
        errors.append(f"{event.step_key}: {cause.message.strip() if cause else 'failed'}")
    return errors


def failure_alert(run: dg.DagsterRun, message: str | None, steps: list[str], at: datetime) -> dict:
    """The alert for a failed run: what failed, when, why, and the run's partition or range."""
    tags = run.tags
    partition = tags.get("dagster/partition") or (
        f"{tags['dagster/asset_partition_range_start']}...{tags['dagster/asset_partition_range_end']}"
        if "dagster/asset_partition_range_start" in tags else None
    )
    summary = f"salesops: run {run.run_id} of job {run.job_name} failed" + (f" (partition {partition})" if partition else "")
    return {
        "at": at.isoformat(timespec="seconds"),
        "job": run.job_name,
        "run_id": run.run_id,
        "status": "FAILURE",
        "partition": partition,
        "error": message,
        "failed_steps": steps,
        "text": f"{summary}: " + "; ".join(steps or [message or "no error message"]),
    }


def build_alert_sensor() -> dg.SensorDefinition:
    @dg.run_failure_sensor(name=ALERT_SENSOR, default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=30)
    def alert_on_run_failure(context: dg.RunFailureSensorContext, alerts: RunFailureAlerts):
        """Every failed run of this code location: a line in the alert log, and a POST to the webhook if one is set."""
        run = context.dagster_run
        steps = step_errors(context.instance, run.run_id)
        alerts.send(failure_alert(run, context.failure_event.message, steps, datetime.now(UTC)))

    return alert_on_run_failure
