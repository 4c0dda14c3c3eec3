"""Write a new Alembic revision for one service from its models: `make migration SERVICE=audit MSG="..."`."""

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def main(service: str, message: str) -> None:
    migrations = ROOT / "services" / service / "migrations"
    with tempfile.TemporaryDirectory() as scratch:
        # Autogenerate compares the models with a scratch database brought to head.
        url = f"sqlite+aiosqlite:///{scratch}/schema.db"
        config = Config()
        config.set_main_option("script_location", str(migrations))
        config.set_main_option("sqlalchemy.url", url)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "change")
