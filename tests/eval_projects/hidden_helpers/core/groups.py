"""A store whose awaited method returns a GroupResult (or None)."""

from celery.result import GroupResult


class GroupStore:
    async def fetch(self, group_id: str) -> GroupResult | None:
        return GroupResult.restore(group_id)

    async def name_of(self, group_id: str) -> str:
        return f"group-{group_id}"
