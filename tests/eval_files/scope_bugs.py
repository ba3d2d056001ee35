# Scope bugs from issue 13, with what is (not) reported once they are fixed.
from proj.tasks import t


def setup():
    # An import binds in its own scope only: it says nothing about `t` in later defs.
    import asyncio as t

    return t


async def view():
    t.delay(1)  # CEL001: 4


async def other():
    import asyncio as t

    t.delay(1)  # asyncio here: no dispatch


async def error_handling():
    res = t.delay(1)  # CEL001: 10
    try:
        pass
    except ValueError as res:
        return res.args  # an exception's args, no result read


def helper():
    # A lambda's keyword-only default runs when helper() runs.
    return lambda *, x=t.delay(1): x


async def calls_helper():
    helper()  # CEL007: 4
