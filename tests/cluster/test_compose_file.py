"""deploy/docker-compose.yml is a valid Compose file (checked by Debian's docker-compose,
`docker-compose config`, since this machine runs no container daemon), and it holds the
topology and the promises the README makes of it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "deploy" / "docker-compose.yml"
SECRETS = {"POSTGRES_PASSWORD": "pg-secret-for-the-check", "STAFF_TOKEN": "staff-secret-for-the-check",
           "RASA_JWT_SECRET": "jwt-secret-for-the-check", "TRACKER_STORE_KEY": "key-for-the-check"}


def compose_config(path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    tool = shutil.which("docker-compose")
    assert tool, "Debian's docker-compose is missing (make system-deps)"
    environment = {k: v for k, v in os.environ.items() if k not in SECRETS}
    environment.update(env or {})
    return subprocess.run([tool, "-f", str(path), "config"], capture_output=True, text=True,
                          env=environment, cwd=path.parent, timeout=120)


@pytest.fixture(scope="module")
def config() -> dict:
    result = compose_config(COMPOSE, SECRETS)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_file_is_valid_and_refuses_to_run_without_its_secrets(config):
    missing = compose_config(COMPOSE)
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr


def test_a_broken_file_is_refused(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("  redis:\n    image:", "  redis:\n    imagee:", 1))
    refused = compose_config(broken, SECRETS)
    assert refused.returncode != 0 and "imagee" in refused.stderr


def test_the_topology(config):
    services = config["services"]
    assert set(services) == {"nginx", "rasa-1", "rasa-2", "actions-1", "actions-2", "migrate",
                             "backend-1", "backend-2", "redis", "postgres"}
    for name, service in services.items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name
    for kind in ("rasa", "actions", "backend"):
        builds = {services[f"{kind}-{n}"]["build"]["dockerfile"] for n in (1, 2)}
        assert builds == {f"deploy/Dockerfile.{kind}"}
        assert (REPO / "deploy" / f"Dockerfile.{kind}").exists()
    rasa = services["rasa-1"]["environment"]
    assert rasa["REDIS_HOST"] == "redis" and rasa["DB_HOST"] == "postgres"
    assert services["backend-1"]["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert services["backend-1"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    endpoints = yaml.safe_load((REPO / "deploy" / "endpoints.yml").read_text())
    assert endpoints["tracker_store"]["type"] == "bot.tracker_store.EncryptedSQLTrackerStore"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "bot.lock_store.FallbackRedisLockStore"
    assert endpoints["lock_store"]["key_prefix"].isalnum()  # Rasa drops any other prefix


def test_the_connection_budget_fits_under_max_connections(config):
    """The arithmetic written in the file's comment, from the file's own settings."""
    services = config["services"]
    command = " ".join(services["postgres"]["command"])
    max_connections = int(re.search(r"max_connections=(\d+)", command).group(1))
    reserved = int(re.search(r"superuser_reserved_connections=(\d+)", command).group(1))
    backend = sum(int(services[f"backend-{n}"]["environment"]["DATABASE_POOL_SIZE"])
                  + int(services[f"backend-{n}"]["environment"]["DATABASE_MAX_OVERFLOW"]) + 1 for n in (1, 2))
    tracker = sum(int(services[f"rasa-{n}"]["environment"]["SQL_POOL_SIZE"])
                  + int(services[f"rasa-{n}"]["environment"]["SQL_MAX_OVERFLOW"]) for n in (1, 2))
    event_broker = 2 * (5 + 10)  # SQLAlchemy's default pool: Rasa sets none for its SQL event broker
    migrate = 1
    total = backend + tracker + event_broker + migrate
    assert total == 87
    assert total <= max_connections - reserved
    assert f"total at most {total} <= {max_connections - reserved}" in COMPOSE.read_text()


def test_nginx_is_sticky_where_a_process_keeps_state(config):
    template = (REPO / "deploy" / "nginx" / "assistant.conf.template").read_text()
    sticky = re.search(r"upstream rasa_sticky \{(.*?)\}", template, re.S).group(1)
    wechat = re.search(r"upstream rasa_wechat \{(.*?)\}", template, re.S).group(1)
    assert "ip_hash;" in sticky and "hash $arg_openid consistent;" in wechat
    assert re.search(r"location /socket.io/ \{\s*proxy_pass http://rasa_sticky;", template)
    assert re.search(r"location /webhooks/wechat/ \{\s*proxy_pass http://rasa_wechat;", template)
    # No location sets headers of its own (nginx would drop the server's, X-Client-Id "" included).
    public = template.split("listen ${PUBLIC_LISTEN};")[1].split("server {")[0]
    for location in re.findall(r"location [^{]+\{([^}]*)\}", public):
        assert "proxy_set_header" not in location
    assert config["services"]["nginx"]["environment"]["RASA_1"] == "rasa-1:5005"
