"""A consumer that keeps its services on ``self``, and a class's static helpers."""

from app.services.books import BookRepository, BookService


class Jobs:
    @staticmethod
    def schedule(book_id):
        BookService().add_book(book_id)

    @staticmethod
    def label(book_id):
        return str(book_id)


class BookConsumer:
    def __init__(self, session):
        self.books = BookService(session)
        self.repo = BookRepository(session)
        self.either = BookService(session)

    def reset(self, other):
        self.either = other

    async def receive(self, book_id):
        self.books.add_book(book_id)  # CEL007: 8
        self.books.title(book_id)
        self.repo.add_book(book_id)
        self.either.add_book(book_id)  # also assigned something else: unknown
        self.missing.add_book(book_id)
        Jobs.schedule(book_id)  # CEL007: 8
        Jobs.label(book_id)


async def shadowed(Jobs, book_id):
    Jobs.schedule(book_id)


class BookCog:
    books = BookService()
    repo = BookRepository()
    swapped = BookService()

    def swap(self, other):
        self.swapped = other

    async def command(self, book_id):
        self.books.add_book(book_id)  # CEL007: 8
        self.repo.add_book(book_id)
        self.swapped.add_book(book_id)  # assigned something else too: unknown
