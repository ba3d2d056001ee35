"""A class-based service the API makes per request, or gets injected (FastAPI Depends)."""

from app.worker.tasks import index_task


class BookService:
    def __init__(self, session=None):
        self.session = session

    def add_book(self, book_id):
        return self._schedule(book_id)

    def _schedule(self, book_id):
        return index_task.delay(book_id).id

    def title(self, book_id):
        return f"book {book_id}"


class BookRepository:
    def __init__(self, session=None):
        self.session = session

    def add_book(self, book_id):
        return book_id


def get_book_service(session=None):
    return BookService(session)
