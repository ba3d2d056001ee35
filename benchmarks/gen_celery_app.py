"""Generate a Celery-heavy async service of about 2,000 files, for ``lint_speed.py``.

    python benchmarks/gen_celery_app.py DEST [--domains N] [--seed S]

Modelled on the shape of real FastAPI + Celery services (CI has no network, so nothing is
copied): a ``core`` package (settings, the Celery app, the database session), then one package
per business domain, each with async API routes, schemas, models, an async repository, a sync
service layer that dispatches tasks (called from the routes in another module), result polling
helpers, the domain's Celery tasks, events, a websocket handler, admin views, utilities and
tests. About a third of the files contain no Celery word at all, as in real services. The
output is deterministic for a seed. Prints the number of files and lines written.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

_WORDS = (
    "invoice order payment refund shipment customer account report export imports user team "
    "project document upload image video email sms webhook audit search index cart coupon "
    "subscription plan billing ledger transfer wallet device sensor alert metric job schedule "
    "ticket comment review rating catalog product inventory warehouse supplier contract "
    "session token feed post message thread notification campaign segment lead deal quote "
    "survey answer course lesson grade exam badge reward partner tenant region store booking "
    "room event calendar reminder backup snapshot cluster node deploy build release artifact"
)
NOUNS = _WORDS.split()


def _fields(rng: random.Random, n: int) -> list[str]:
    names = ["name", "status", "amount", "owner_id", "created_at", "note", "kind", "score"]
    return rng.sample(names, min(n, len(names)))


def core_files() -> dict[str, str]:
    return {
        "pyproject.toml": '[project]\nname = "bench-service"\nversion = "0.1.0"\n',
        "Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nCMD uvicorn app.main:app\n",
        "app/__init__.py": "",
        "app/core/__init__.py": "",
        "app/core/config.py": (
            "import os\n\n\nclass Settings:\n"
            '    broker_url = os.environ.get("BROKER_URL", "redis://localhost:6379/0")\n'
            '    result_backend = os.environ.get("RESULT_BACKEND", "redis://localhost:6379/1")\n'
            "    debug = False\n\n\nsettings = Settings()\n"
        ),
        "app/core/celery_app.py": (
            "from celery import Celery\n\nfrom app.core.config import settings\n\n"
            'celery_app = Celery("bench", broker=settings.broker_url, '
            "backend=settings.result_backend)\n"
            'celery_app.conf.task_routes = {"app.domains.*": {"queue": "default"}}\n'
        ),
        "app/core/db.py": (
            "class Session:\n    async def execute(self, query):\n        return query\n\n"
            "    async def commit(self):\n        return None\n\n\n"
            "async def get_session():\n    yield Session()\n"
        ),
        "app/core/security.py": (
            "import hashlib\n\n\ndef hash_password(password: str) -> str:\n"
            "    return hashlib.sha256(password.encode()).hexdigest()\n\n\n"
            "def verify(password: str, digest: str) -> bool:\n"
            "    return hash_password(password) == digest\n"
        ),
    }


def domain_files(noun: str, rng: random.Random) -> dict[str, str]:
    cls = noun.capitalize()
    pkg = f"app/domains/{noun}"
    mod = f"app.domains.{noun}"
    fields = _fields(rng, rng.randint(3, 7))
    schema_fields = "".join(f"    {f}: str | None = None\n" for f in fields)
    files: dict[str, str] = {
        f"{pkg}/__init__.py": "",
        f"{pkg}/api/__init__.py": "",
        f"{pkg}/services/__init__.py": (
            f"from .dispatcher import enqueue_{noun} as enqueue\nfrom .dispatcher import "
            f"schedule_{noun}\n\n__all__ = ['enqueue', 'schedule_{noun}']\n"
        ),
        f"{pkg}/schemas.py": (
            f"from pydantic import BaseModel\n\n\nclass {cls}In(BaseModel):\n{schema_fields}\n\n"
            f"class {cls}Out({cls}In):\n    id: int\n\n\nclass {cls}Page(BaseModel):\n"
            f"    items: list[{cls}Out]\n    total: int\n"
        ),
        f"{pkg}/models.py": (
            f"class {cls}:\n    __tablename__ = '{noun}s'\n\n"
            f"    def __init__(self, **values):\n"
            + "".join(f"        self.{f} = values.get('{f}')\n" for f in fields)
            + "\n    def as_dict(self):\n        return dict(vars(self))\n"
        ),
        f"{pkg}/repository.py": (
            f"from {mod}.models import {cls}\n\n\nclass {cls}Repository:\n"
            "    def __init__(self, session):\n        self.session = session\n\n"
            f"    async def get(self, item_id: int) -> {cls}:\n"
            "        await self.session.execute(('select', item_id))\n"
            f"        return {cls}(id=item_id)\n\n"
            f"    async def list(self, limit: int = 50) -> list[{cls}]:\n"
            "        await self.session.execute(('select', limit))\n"
            f"        return [{cls}(id=i) for i in range(limit)]\n\n"
            f"    async def save(self, item: {cls}) -> None:\n"
            "        await self.session.execute(('insert', item.as_dict()))\n"
            "        await self.session.commit()\n"
        ),
        f"{pkg}/tasks.py": (
            "from app.core.celery_app import celery_app\n\n\n"
            f"@celery_app.task(bind=True, max_retries=3)\ndef process_{noun}(self, item_id):\n"
            "    return item_id\n\n\n"
            f"@celery_app.task\ndef notify_{noun}(item_id, channel='email'):\n"
            "    return item_id, channel\n\n\n"
            f"@celery_app.task\ndef cleanup_{noun}s(days=30):\n    return days\n"
        ),
        f"{pkg}/services/dispatcher.py": (
            f'"""Dispatch {noun} work to the workers (sync helpers, called from the API)."""\n\n'
            f"from {mod}.tasks import cleanup_{noun}s, notify_{noun}, process_{noun}\n\n\n"
            f"def enqueue_{noun}(item_id):\n    return process_{noun}.delay(item_id)\n\n\n"
            f"def schedule_{noun}(item_id, countdown=60):\n"
            f"    return notify_{noun}.apply_async((item_id,), countdown=countdown)\n\n\n"
            f"def nightly_{noun}_cleanup():\n    cleanup_{noun}s.delay(30)\n"
        ),
        f"{pkg}/services/workflow.py": (
            f"from {mod}.services.dispatcher import enqueue_{noun}, schedule_{noun}\n\n\n"
            f"def start_{noun}_flow(item_id):\n    enqueue_{noun}(item_id)\n"
            f"    schedule_{noun}(item_id)\n\n\n"
            f"class {cls}Service:\n    def __init__(self, repo):\n        self.repo = repo\n\n"
            f"    def submit(self, item_id):\n        start_{noun}_flow(item_id)\n\n"
            "    def describe(self, item_id):\n        return {'id': item_id}\n"
        ),
        f"{pkg}/services/polling.py": (
            "import asyncio\n\nfrom celery.result import AsyncResult\n\n\n"
            "async def wait_for(result, interval=0.5):\n"
            "    while not result.ready():\n        await asyncio.sleep(interval)\n"
            "    return result.get()\n\n\n"
            "async def status_of(task_id):\n    return AsyncResult(task_id).status\n"
        ),
        f"{pkg}/api/routes.py": (
            "from fastapi import APIRouter, Depends\n\n"
            "from app.core.db import get_session\n"
            f"from {mod} import services\n"
            f"from {mod}.repository import {cls}Repository\n"
            f"from {mod}.schemas import {cls}In, {cls}Out\n"
            f"from {mod}.services.workflow import start_{noun}_flow\n"
            f"from {mod}.tasks import process_{noun}\n\n"
            f"router = APIRouter(prefix='/{noun}s')\n\n\n"
            f"@router.post('/', response_model={cls}Out)\n"
            f"async def create_{noun}(body: {cls}In, session=Depends(get_session)):\n"
            f"    repo = {cls}Repository(session)\n    item = await repo.get(1)\n"
            f"    services.enqueue(1)\n    return {{'id': 1, **body.model_dump()}}\n\n\n"
            f"@router.post('/{{item_id}}/process')\nasync def process(item_id: int):\n"
            f"    result = process_{noun}.delay(item_id)\n    return {{'task_id': result.id}}\n\n\n"
            f"@router.post('/{{item_id}}/flow')\nasync def flow(item_id: int):\n"
            f"    start_{noun}_flow(item_id)\n    return {{'ok': True}}\n\n\n"
            f"@router.get('/')\nasync def list_{noun}s(session=Depends(get_session)):\n"
            f"    return await {cls}Repository(session).list()\n"
        ),
        f"{pkg}/api/status.py": (
            "from celery.result import AsyncResult\nfrom fastapi import APIRouter\n\n"
            f"from {mod}.services.polling import status_of, wait_for\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/tasks/{task_id}')\nasync def task_status(task_id: str):\n"
            "    res = AsyncResult(task_id)\n    return {'state': res.state, "
            "'status': await status_of(task_id)}\n\n\n"
            "@router.get('/tasks/{task_id}/wait')\nasync def task_wait(task_id: str):\n"
            "    return await wait_for(AsyncResult(task_id))\n"
        ),
        f"{pkg}/api/deps.py": (
            f"from {mod}.repository import {cls}Repository\n\n\n"
            f"async def get_repo(session):\n    return {cls}Repository(session)\n"
        ),
        f"{pkg}/events.py": (
            f"from {mod}.services.dispatcher import schedule_{noun}\n\n\n"
            f"def on_{noun}_created(item_id):\n    schedule_{noun}(item_id, countdown=5)\n\n\n"
            f"async def on_{noun}_updated(item_id):\n    on_{noun}_created(item_id)\n"
        ),
        f"{pkg}/websocket.py": (
            f"from {mod}.services import enqueue\n\n\n"
            "async def handle(websocket):\n    async for message in websocket:\n"
            "        enqueue(message)\n        await websocket.send('queued')\n"
        ),
        f"{pkg}/admin.py": (
            f"from {mod}.services.dispatcher import nightly_{noun}_cleanup\n\n\n"
            f"def run_cleanup():\n    nightly_{noun}_cleanup()\n\n\n"
            "def columns():\n    return " + repr(fields) + "\n"
        ),
        f"{pkg}/utils.py": (
            "import re\n\n\ndef slug(text: str) -> str:\n"
            "    return re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-')\n\n\n"
            "def chunks(items, size):\n    for i in range(0, len(items), size):\n"
            "        yield items[i : i + size]\n"
        ),
        f"{pkg}/validators.py": (
            "def validate(values: dict) -> list[str]:\n    errors = []\n"
            + "".join(
                f"    if values.get('{f}') is None:\n        errors.append('{f} is required')\n"
                for f in fields
            )
            + "    return errors\n"
        ),
        f"{pkg}/constants.py": (
            f"{noun.upper()}_PAGE_SIZE = {rng.randint(10, 100)}\n"
            f"{noun.upper()}_STATUSES = ('new', 'active', 'done')\n"
        ),
        f"{pkg}/tests/__init__.py": "",
        f"{pkg}/tests/test_utils.py": (
            f"from {mod}.utils import chunks, slug\n\n\ndef test_slug():\n"
            "    assert slug('A b') == 'a-b'\n\n\ndef test_chunks():\n"
            "    assert list(chunks([1, 2, 3], 2)) == [[1, 2], [3]]\n"
        ),
        f"{pkg}/tests/test_api.py": (
            "import pytest\n\n\n@pytest.mark.asyncio\nasync def test_list():\n    assert True\n"
        ),
    }
    # Padding modules as real services have them: pure helpers and formatters.
    for i in range(rng.randint(2, 4)):
        files[f"{pkg}/helpers_{i}.py"] = "".join(
            f"def {noun}_helper_{i}_{j}(value):\n    return value * {j + 1}\n\n\n" for j in range(8)
        )
    return files


def generate(dest: Path, domains: int, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    files = core_files()
    names = [f"{n}{'' if i < len(NOUNS) else i // len(NOUNS)}" for i, n in
             enumerate(NOUNS * (domains // len(NOUNS) + 1))][:domains]  # fmt: skip
    routers = []
    for noun in names:
        files.update(domain_files(noun, rng))
        routers.append(noun)
    files["app/main.py"] = (
        "from fastapi import FastAPI\n\n"
        + "".join(f"from app.domains.{n}.api import routes as {n}_routes\n" for n in routers)
        + "\napp = FastAPI()\n"
        + "".join(f"app.include_router({n}_routes.router)\n" for n in routers)
    )
    lines = 0
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        lines += text.count("\n")
    return sum(1 for rel in files if rel.endswith(".py")), lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--domains", type=int, default=80, help="business domains (~25 files each)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    n, lines = generate(args.dest, args.domains, args.seed)
    print(f"{n} Python files, {lines} lines in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
