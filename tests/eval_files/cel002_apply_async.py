import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool

from proj.tasks import resize


def work(x):
    return x


async def dispatch(image_id, queue):
    resize.apply_async((image_id,), countdown=3)  # CEL002: 4
    resize.apply_async(args=(image_id,), queue=queue, priority=5)  # CEL002: 4
    resize.apply_async((image_id,), queue=await queue.name())  # CEL002: 4
    result = resize.apply_async(kwargs={"id": image_id})  # CEL002: 13
    return result.id


async def pools():
    with Pool(4) as pool:
        pool.apply_async(work, (1,))
    mp_pool = multiprocessing.Pool()
    mp_pool.apply_async(work, (2,))
    self_pool = ProcessPoolExecutor()
    self_pool.apply_async(work)
    other = get_pool()
    other.apply_async(work, (3,))  # a module-level function as first argument: multiprocessing
    other.apply_async(lambda: 1)


def get_pool():
    return multiprocessing.Pool()


class Svc:
    def __init__(self):
        self.pool = Pool()

    async def run(self):
        self.pool.apply_async(work, (1,))
        self.thread_pool.apply_async(work, (1,))
