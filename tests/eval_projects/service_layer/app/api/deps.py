"""FastAPI dependency aliases, as the full-stack templates write them."""

from typing import Annotated

from fastapi import Depends

from app.services.books import BookRepository, BookService, get_book_service

BookServiceDep = Annotated[BookService, Depends(get_book_service)]
RepositoryDep = Annotated[BookRepository, Depends()]
