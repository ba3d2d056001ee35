"""Methods of a service made in place or declared by a parameter's type."""

from typing import Annotated, Optional

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import BookServiceDep, RepositoryDep
from app.services.books import BookRepository, BookService, get_book_service

LocalDep = Annotated[BookService, Depends()]


async def add_inline(session, book_id: int):
    BookService(session).add_book(book_id)  # CEL007: 4
    BookService(session).title(book_id)
    BookRepository(session).add_book(book_id)
    get_book_service(session).add_book(book_id)  # a factory's result: its class is unknown


async def add_typed(service: BookService, book_id: int):
    service.add_book(book_id)  # CEL007: 4
    return service.title(book_id)


async def add_injected(
    service: Annotated[BookService, Depends(get_book_service)],
    maybe: Optional[BookService] = None,  # noqa: UP045
    either: "BookService | None" = None,
    made=Depends(BookService),  # noqa: B008
    factory=Depends(get_book_service),  # noqa: B008
):
    service.add_book(1)  # CEL007: 4
    maybe.add_book(2)  # CEL007: 4
    either.add_book(3)  # CEL007: 4
    made.add_book(4)  # CEL007: 4
    factory.add_book(5)  # Depends on a function: what it returns is not known


async def lookalikes(
    repo: BookRepository, session: AsyncSession, mixed: BookService | BookRepository, book_id
):
    repo.add_book(book_id)
    await session.commit()
    mixed.add_book(book_id)
    service: BookService = repo
    service.add_book(book_id)


async def rebound(service: BookService, other):
    service = other
    service.add_book(1)


class BookService2:
    async def handle(self, service: BookService):
        service.add_book(1)  # CEL007: 8

    def sync_caller(self, service: BookService):
        service.add_book(1)


async def via_sync(service: BookService):
    BookService2().sync_caller(service)  # CEL007: 4


async def local_service(session, book_id: int, flag: bool):
    service = BookService(session)
    service.add_book(book_id)  # CEL007: 4
    repo = BookRepository(session)
    repo.add_book(book_id)
    made = get_book_service(session)
    made.add_book(book_id)
    twice = BookRepository(session)
    if flag:
        twice = BookService(session)
    twice.add_book(book_id)  # bound twice: of no one class


async def aliased(service: BookServiceDep, repo: RepositoryDep, local: LocalDep):
    service.add_book(1)  # CEL007: 4
    repo.add_book(2)
    local.add_book(3)  # CEL007: 4
