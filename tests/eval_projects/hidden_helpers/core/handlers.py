"""Handlers that reach the helpers through the class, an annotated attribute, a factory and
an awaited method annotated with GroupResult."""

from core.groups import GroupStore
from core.reports import ReportService
from core.workflow import Workflow, get_workflow


class Pipeline:
    workflow: Workflow

    def __init__(self, workflow):
        self.workflow = workflow

    async def step(self, doc_id):
        self.workflow.start(doc_id)  # CEL007: 8
        self.workflow.label(doc_id)


class Importer:
    def __init__(self, flow):
        self.flow: Workflow = flow
        self.store: GroupStore = GroupStore()

    async def run(self, doc_id):
        self.flow.start(doc_id)  # CEL007: 8
        self.flow.label(doc_id)
        group = await self.store.fetch(doc_id)
        if group is not None and group.ready():  # CEL005: 33
            return group.completed_count()  # CEL005: 19
        return None


async def report(report_id):
    ReportService.queue(report_id)  # CEL007: 4
    ReportService.queue_thumbnail(report_id)  # CEL007: 4
    ReportService.describe(report_id)


async def from_factory(doc_id):
    flow = get_workflow()
    flow.start(doc_id)  # CEL007: 4
    flow.label(doc_id)


async def group_report(store: GroupStore, group_id):
    group = await store.fetch(group_id)
    if group is None:
        return None
    if group.successful():  # CEL005: 7
        group.forget()  # CEL005: 8
    name = await store.name_of(group_id)
    return name, [r.result for r in group.results]  # CEL005: 18
