"""Configuration and secrets: every variable the platform reads is in .env.example and the README,
secrets reach Dagster only as EnvVar references, and no credential is in the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from orchestration.alerts import WEBHOOK_VARIABLE, alerts_resource

pytestmark = pytest.mark.security

ROOT = Path(__file__).resolve().parents[2]
READS = (
    r"os\.environ\.get\(\s*\"([A-Z][A-Z0-9_]+)\"",
    r"os\.environ\[\"([A-Z][A-Z0-9_]+)\"\]",
    r"os\.getenv\(\s*\"([A-Z][A-Z0-9_]+)\"",
    r"^[A-Z_]+ = \"((?:SALESOPS|DAGSTER|AWS)_[A-Z0-9_]+)\"",  # a module constant naming a variable
    r"env_var\(\s*'([A-Z][A-Z0-9_]+)'",
)
# Set by the platform for itself, not configuration: the planned-events switch of `make run`, and
# Great Expectations' analytics opt-out. PYTHON, SCALE, SCALES and SEED are arguments of `make`, not settings.
NOT_SETTINGS = {"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "GX_ANALYTICS_ENABLED", "PYTHON", "SCALE", "SCALES", "SEED"}
SECRET_PATTERNS = {
    "AWS access key id": r"AKIA[0-9A-Z]{16}",
    "private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "Slack webhook": r"hooks\.slack\.com/services/T[A-Z0-9]+/",
    "Slack token": r"xox[abps]-[0-9A-Za-z-]{10,}",
    "GitHub token": r"gh[pousr]_[A-Za-z0-9]{36}",
    "password in a database URL": r"postgres(?:ql)?://[^:/\s@]+:(?![$<{*])[^@\s]+@",
}


def tracked_files() -> list[Path]:
    """The repository's files (git's list when this is a checkout, else every file outside build output)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode == 0:
        return [ROOT / name for name in listed.stdout.decode().split("\0") if name and (ROOT / name).is_file()]
    skipped = {".venv", "data", "target", "logs", ".git", "__pycache__"}
    return [p for p in ROOT.rglob("*") if p.is_file() and not skipped & set(p.relative_to(ROOT).parts)]


def variables_read() -> set[str]:
    found = set()
    for path in tracked_files():
        if path.suffix not in (".py", ".sql", ".yml", ".yaml") or path.parts[len(ROOT.parts)] == "tests":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in READS:
            found |= set(re.findall(pattern, text, flags=re.MULTILINE))
    found |= set(re.findall(r"^(?:export )?([A-Z_]+) \?=", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))
    return found - NOT_SETTINGS


def env_example_variables() -> set[str]:
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE))


def test_every_variable_the_platform_reads_is_in_env_example_and_the_readme() -> None:
    read = variables_read()
    assert {"SALESOPS_HOME", "SALESOPS_ALERT_WEBHOOK_URL", "SALESOPS_PII_SALT", "UI_HOST"} <= read  # the scan finds them
    listed = env_example_variables()
    assert read - listed == set(), "read by the platform but missing from .env.example"
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration"):readme.index("## Documentation")]
    assert {name for name in listed if f"`{name}`" not in table} == set(), "in .env.example but not in the README's configuration table"


def test_no_credential_is_committed_and_env_files_are_ignored() -> None:
    found = []
    for path in tracked_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [(str(path.relative_to(ROOT)), what) for what, pattern in SECRET_PATTERNS.items() if re.search(pattern, text)]
    assert found == []
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert not (ROOT / ".env").exists() or ".env" not in [p.name for p in tracked_files() if p.parent == ROOT]


def test_the_webhook_url_reaches_dagster_only_as_an_env_var_reference(monkeypatch) -> None:
    url = "https://hooks.example.com/services/T000/B000/very-secret-token"
    monkeypatch.setenv(WEBHOOK_VARIABLE, url)
    resource = alerts_resource()
    assert isinstance(resource.webhook_url, dg.EnvVar) and resource.webhook_url.env_var_name == WEBHOOK_VARIABLE
    assert "very-secret-token" not in repr(resource)
    assert resource.process_config_and_initialize().webhook_url == url
