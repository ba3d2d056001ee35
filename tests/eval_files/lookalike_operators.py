# ReactiveX's delay operator and billiard's pool are not Celery dispatch.
import reactivex
from billiard import Pool
from reactivex import operators as ops

from proj.tasks import crunch


async def stream(source):
    ops.delay(0.5)
    delayed = source.pipe(ops.delay(0.5))
    reactivex.of(1, 2).pipe(reactivex.operators.delay(1.0))
    pool = Pool(2)
    pool.apply_async(max, (1,))
    crunch.delay(1)  # CEL001: 4
    return delayed
