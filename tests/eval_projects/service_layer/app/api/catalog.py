"""A router that names only what deps.py and a wiring module export: no service class, no
Celery word. The index must still pull it in, for the alias and the instance it imports."""

from app.api.deps import BookServiceDep
from app.services.wiring import books, repository


async def add(service: BookServiceDep, book_id: int):
    service.add_book(book_id)  # CEL007: 4


async def add_shared(book_id: int):
    books.add_book(book_id)  # CEL007: 4
    repository.add_book(book_id)
