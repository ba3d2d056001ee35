"""Tiny real repository layouts for the codemod's end-to-end tests.

Each :class:`Layout` writes a repository into a folder: a Celery app, a task that leaves a
marker file (in ``$MARK_DIR``) when it runs, and an async endpoint that dispatches it with a
plain ``.delay()`` / ``.apply_async()`` — what the codemod rewrites. ``run_from`` is the folder
the app is started from (``uvicorn <web>``, ``celery -A <worker>``), ``pythonpath`` extra
folders on ``sys.path`` (a package installed with ``pip install -e``, simulated).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def codemod(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m codemod --isolated ARGS`` run in ``cwd``, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "celery_async_codemod", "--isolated", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )


@dataclass
class Layout:
    name: str
    files: dict[str, str]
    web: str
    """``module:attr`` of the ASGI app, from ``run_from``."""
    worker: str
    """``-A`` of the Celery worker, from ``run_from``."""
    run_from: str = "."
    pythonpath: tuple[str, ...] = ()
    url: str = "/ping/{token}"
    expect: dict[str, str] = field(default_factory=dict)
    """file -> a line the codemod must have written there."""
    codemod_args: tuple[str, ...] = (".",)
    git: bool = False
    """A git repository (the codemod's root is then this folder, never a parent)."""

    def write(self, root: Path) -> Path:
        for rel, text in self.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return root


def app_module(include: str, name: str = "celery_app") -> str:
    return f"""
        import os

        from celery import Celery

        {name} = Celery("layout", broker=os.environ["BROKER_URL"], include=["{include}"])
        """


def tasks_module(app_import: str, app_name: str = "celery_app") -> str:
    return f"""
        import os
        from pathlib import Path

        from {app_import} import {app_name}


        @{app_name}.task(name="ping")
        def ping(token):
            Path(os.environ["MARK_DIR"], token).write_text("ran")
            return token
        """


def fastapi_module(tasks_import: str) -> str:
    return f"""
        from fastapi import FastAPI

        from {tasks_import} import ping

        api = FastAPI()


        @api.get("/ping/{{token}}")
        async def do_ping(token: str):
            result = ping.delay(token)
            return {{"id": result.id}}
        """


NAMESPACE = Layout(
    "namespace-package",
    {
        "common/celery_app.py": app_module("common.tasks"),
        "common/tasks.py": tasks_module("common.celery_app"),
        "web/main.py": fastapi_module("common.tasks"),
    },
    web="web.main:api",
    worker="common.celery_app",
    expect={
        "common/celery_app.py": "from celery_asyncx import CeleryAsync",
        "web/main.py": "result = await ping.delayx(token)",
    },
)

SUBFOLDER = Layout(
    "app-run-from-a-subfolder",
    {
        "README.md": "run from backend/: uvicorn app.main:api\n",
        "backend/app/__init__.py": "",
        "backend/app/worker.py": app_module("app.tasks"),
        "backend/app/tasks.py": tasks_module("app.worker"),
        "backend/app/main.py": fastapi_module("app.tasks"),
    },
    web="app.main:api",
    worker="app.worker",
    run_from="backend",
    expect={"backend/app/worker.py": "from celery_asyncx import CeleryAsync"},
)

ROOT_PACKAGE = Layout(
    "root-folder-is-a-package",
    {
        "__init__.py": "",
        "worker.py": app_module("tasks"),
        "tasks.py": tasks_module("worker"),
        "main.py": fastapi_module("tasks"),
        # a throwaway app in a test runner at the root (must not be wired)
        "runtests.py": "from celery import Celery\n\napp = Celery()\n",
    },
    web="main:api",
    worker="worker",
    expect={"worker.py": "from celery_asyncx import CeleryAsync"},
)

DJANGO = Layout(
    "django-config-package",
    {
        "manage.py": """
            import os
            import sys

            if __name__ == "__main__":
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
                from django.core.management import execute_from_command_line

                execute_from_command_line(sys.argv)
            """,
        "config/__init__.py": (
            'from .celery import app as celery_app\n\n__all__ = ("celery_app",)\n'
        ),
        "config/celery.py": """
            import os

            from celery import Celery

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

            app = Celery("config")
            app.config_from_object("django.conf:settings", namespace="CELERY")
            app.autodiscover_tasks()
            """,
        "config/settings/__init__.py": "",
        "config/settings/base.py": """
            import os

            SECRET_KEY = "test"
            DEBUG = False
            ALLOWED_HOSTS = ["*"]
            INSTALLED_APPS = ["shop"]
            ROOT_URLCONF = "config.urls"
            CELERY_BROKER_URL = os.environ["BROKER_URL"]
            """,
        "config/settings/local.py": "from .base import *  # noqa: F403\n",
        "config/urls.py": """
            from django.urls import path

            from shop import views

            urlpatterns = [path("ping/<str:token>", views.ping_view)]
            """,
        "config/asgi.py": """
            import os

            from django.core.asgi import get_asgi_application

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
            application = get_asgi_application()
            """,
        "shop/__init__.py": "",
        "shop/tasks.py": """
            import os
            from pathlib import Path

            from celery import shared_task


            @shared_task(name="ping")
            def ping(token):
                Path(os.environ["MARK_DIR"], token).write_text("ran")
                return token
            """,
        "shop/views.py": """
            from django.http import JsonResponse

            from shop.tasks import ping


            async def ping_view(request, token):
                result = ping.apply_async((token,))
                return JsonResponse({"id": result.id})
            """,
    },
    web="config.asgi:application",
    worker="config",
    expect={
        "config/celery.py": "from celery_asyncx import CeleryAsync",
        "shop/views.py": "result = await ping.apply_asyncx((token,))",
    },
)

MONOREPO = Layout(
    "monorepo-pip-installed-package",
    {
        "packages/jobs/pyproject.toml": '[project]\nname = "jobs"\nversion = "0"\n',
        "packages/jobs/src/jobs/__init__.py": "",
        "packages/jobs/src/jobs/celery_app.py": app_module("jobs.tasks"),
        "packages/jobs/src/jobs/tasks.py": tasks_module("jobs.celery_app"),
        "services/api/main.py": fastapi_module("jobs.tasks"),
    },
    web="main:api",
    worker="jobs.celery_app",
    run_from="services/api",
    pythonpath=("packages/jobs/src",),  # what `pip install -e packages/jobs` puts on sys.path
    expect={
        "packages/jobs/src/jobs/celery_app.py": "from celery_asyncx import CeleryAsync",
        "services/api/main.py": "result = await ping.delayx(token)",
    },
)

LIBRARY = Layout(
    "library-receiving-the-users-app",
    {
        "dispatch/__init__.py": """
            from celery import Celery


            class Dispatcher:
                def __init__(self, capp=None):
                    self.capp = capp or Celery("fallback")

                async def send(self, name, *args):
                    task = self.capp.tasks[name]
                    result = task.apply_async(args)
                    return result.id
            """,
        "app/__init__.py": "",
        "app/celery_app.py": app_module("app.tasks"),
        "app/tasks.py": tasks_module("app.celery_app"),
        "app/main.py": """
            from fastapi import FastAPI

            import app.tasks  # noqa: F401  (registers the tasks)
            from app.celery_app import celery_app
            from dispatch import Dispatcher

            api = FastAPI()
            dispatcher = Dispatcher(celery_app)


            @api.get("/ping/{token}")
            async def do_ping(token: str):
                return {"id": await dispatcher.send("ping", token)}
            """,
    },
    web="app.main:api",
    worker="app.celery_app",
    expect={
        "dispatch/__init__.py": "result = await run_blocking(task.apply_async, args)",
        "app/celery_app.py": "from celery import Celery",  # the user's app: not rewired
    },
)

PRE_COMMIT = Layout(
    "pre-commit-one-changed-file",
    dict(SUBFOLDER.files),
    web="app.main:api",
    worker="app.worker",
    run_from="backend",
    expect={
        "backend/app/worker.py": "from celery_asyncx import CeleryAsync",
        "backend/app/main.py": "result = await ping.delayx(token)",
    },
    codemod_args=("backend/app/main.py",),
)

PACKAGE_FOLDER = Layout(
    "monorepo-app-run-from-its-package-folder",
    {
        "frontend/package.json": "{}\n",
        "backend/app/__init__.py": "",
        "backend/app/main.py": """
            from fastapi import FastAPI

            from .domains.task.controllers import router

            app = FastAPI()
            app.include_router(router)
            """,
        "backend/app/domains/__init__.py": "",
        "backend/app/domains/task/__init__.py": "",
        "backend/app/domains/task/controllers.py": """
            from fastapi import APIRouter

            from ...worker.tasks import ping

            router = APIRouter()


            @router.get("/ping/{token}")
            async def do_ping(token: str):
                return {"id": ping.delay(token).id}
            """,
        "backend/app/worker/__init__.py": "",
        "backend/app/worker/celery_app.py": app_module("app.worker.tasks"),
        "backend/app/worker/tasks.py": tasks_module(".celery_app"),
    },
    web="app.main:app",
    worker="app.worker.celery_app",
    run_from="backend",
    expect={
        "backend/app/worker/celery_app.py": "from celery_asyncx import CeleryAsync",
        "backend/app/domains/task/controllers.py": 'return {"id": (await ping.delayx(token)).id}',
    },
)

# Code that receives its app: a library repository with no app construction at all. The
# service using it lives outside the repository (run_from), the library on its sys.path.
CLIENT_LIBRARY = Layout(
    "library-with-no-app",
    {
        "pyproject.toml": '[project]\nname = "jobclient"\nversion = "0"\ndependencies = []\n',
        "jobclient/__init__.py": """
            \"\"\"Send jobs to whatever Celery app the caller passes in.\"\"\"

            __all__ = ["JobClient"]

            from .client import JobClient
            """,
        "jobclient/client.py": """
            class JobClient:
                def __init__(self, app):
                    self.app = app

                async def send(self, name, *args):
                    result = self.app.send_task(name, args=args)
                    return result.id

                async def state(self, task_id):
                    return self.app.AsyncResult(task_id).state
            """,
        "../service/celery_app.py": app_module("tasks"),
        "../service/tasks.py": tasks_module("celery_app"),
        "../service/main.py": """
            from fastapi import FastAPI
            from jobclient import JobClient

            import tasks  # noqa: F401  (registers the tasks)
            from celery_app import celery_app

            api = FastAPI()
            client = JobClient(celery_app)


            @api.get("/ping/{token}")
            async def do_ping(token: str):
                return {"id": await client.send("ping", token)}
            """,
    },
    web="main:api",
    worker="celery_app",
    run_from="../service",
    pythonpath=(".",),  # pip install -e of the library
    expect={
        "jobclient/client.py": "result = await run_blocking(self.app.send_task, name, args=args)",
        "pyproject.toml": "celery-asyncx @ git+",  # its one dependency list
    },
    git=True,
)

NOTHING_TO_FIX = Layout(
    "nothing-to-fix",
    {
        "proj/__init__.py": "",
        "proj/celery_app.py": app_module("proj.tasks"),
        "proj/tasks.py": tasks_module("proj.celery_app"),
        "proj/views.py": (
            "from proj.tasks import ping\n\n\ndef view(token):\n    ping.delay(token)\n"
        ),
        "docs/conf_celery.py": "from celery import Celery\n\napp = Celery('docs')\n",
        "examples/demo.py": "from celery import Celery\n\napp = Celery('demo')\n",
        "tests/test_x.py": "from celery import Celery\n\n\ndef test_app():\n    Celery('t')\n",
    },
    web="",
    worker="",
)

RUNNABLE = [
    *(NAMESPACE, SUBFOLDER, ROOT_PACKAGE, DJANGO, MONOREPO, PACKAGE_FOLDER, LIBRARY),
    *(CLIENT_LIBRARY, PRE_COMMIT),
]
