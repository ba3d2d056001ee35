# Real-world shapes: FastAPI, Django async views and Channels, Sanic, Tornado, aiohttp.
import asyncio

from aiohttp import web
from asgiref.sync import sync_to_async
from celery.result import AsyncResult
from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import JsonResponse
from fastapi import APIRouter, BackgroundTasks
from sanic import Sanic, response
from tornado import web as tornado_web

from myproject.celery import celery_app
from myproject.tasks import generate_report, process_upload, send_welcome_email

router = APIRouter()
sanic_app = Sanic("svc")


@router.post("/reports")
async def create_report(payload: dict):
    task = generate_report.delay(payload["id"])  # CEL001: 11
    return {"task_id": task.id}


@router.get("/reports/{task_id}")
async def report_status(task_id: str):
    task_result = AsyncResult(task_id, app=celery_app)
    response_body = {
        "task_id": task_id,
        "status": task_result.status,  # CEL005: 18
        "result": task_result.result if task_result.ready() else None,  # CEL005: 18, CEL005: 40
    }
    return response_body


@router.post("/uploads")
async def upload(background_tasks: BackgroundTasks, file_id: str):
    background_tasks.add_task(process_upload.delay, file_id)  # runs in the threadpool
    return {"ok": True}


@router.post("/signup")
async def signup(email: str):
    await sync_to_async(send_welcome_email.delay)(email)
    return {"ok": True}


async def django_view(request):
    send_welcome_email.apply_async(args=[request.user.email], countdown=10)  # CEL002: 4
    return JsonResponse({"ok": True})


async def django_status(request, task_id):
    result = celery_app.AsyncResult(task_id)
    return JsonResponse({"state": result.state})  # CEL005: 34


class ReportConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        generate_report.delay(text_data)  # CEL001: 8

    async def disconnect(self, code):
        await self.channel_layer.group_discard("reports", self.channel_name)


@sanic_app.post("/process")
async def sanic_process(request):
    job = process_upload.apply_async(kwargs={"file_id": request.json["id"]})  # CEL002: 10
    return response.json({"id": job.id})


class TornadoHandler(tornado_web.RequestHandler):
    async def post(self):
        result = celery_app.send_task("reports.generate", args=[1])  # CEL003: 17
        self.write({"id": result.id})

    async def get(self, task_id):
        res = celery_app.AsyncResult(task_id)
        self.write({"ready": res.ready()})  # CEL005: 29


async def aiohttp_handler(request: web.Request) -> web.Response:
    data = await request.json()
    generate_report.delay(data)  # CEL001: 4
    await asyncio.sleep(0)
    return web.json_response({"queued": True})


async def worker_health():
    replies = celery_app.control.ping(timeout=1.0)  # CEL006: 14
    return {"workers": len(replies)}
