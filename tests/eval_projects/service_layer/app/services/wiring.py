"""Service instances made once, in a module other than their classes'."""

from app.services.books import BookRepository, BookService

books = BookService()
repository = BookRepository()
