"""Bring the database to the current schema and, when asked, fill an empty one with demo data.

`python -m app.prestart [--demo]`, run by `make backend` before the server starts.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.core.config import VAR_DIR, get_settings
from app.core.db import make_engine
from app.models import Office

BACKEND_DIR = Path(__file__).resolve().parents[1]
log = logging.getLogger("prestart")


def alembic_config(url: str) -> Config:
    config = Config(str(BACKEND_DIR / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def wait_for_database(engine: Engine, attempts: int = 30) -> None:
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        except OperationalError:
            if attempt == attempts:
                raise
            log.info("database not ready, retrying (%d/%d)", attempt, attempts)
            time.sleep(1)


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="load demo data into an empty database")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    url = get_settings().database_url
    if url.startswith("sqlite:///"):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    wait_for_database(engine)
    migrate(url)
    if args.demo:
        from app.demo import load_demo

        with Session(engine) as session:
            if session.scalar(select(func.count()).select_from(Office)):
                log.info("database already holds data; demo data not loaded")
            else:
                summary = load_demo(session)
                session.commit()
                log.info("demo data loaded: %s", summary)
    engine.dispose()


if __name__ == "__main__":
    main()
