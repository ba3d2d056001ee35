"""Imported as ``tracking``: every caller passes a dispatch's result in."""

import asyncio


async def wait_done(res, interval=0.5):
    while not res.ready():  # CEL005: 14
        await asyncio.sleep(interval)
    return res.result  # CEL005: 11


async def show(value):
    return value.get("x")  # callers pass plain values: a dict's get is no result read
