"""The hybrid retriever as a LangChain citizen: LangChain's own retriever suite, and `invoke` taking k and filters."""

from __future__ import annotations

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.retrieve import HybridRetriever
from vectorstore.filters import Filters
from vectorstore.store import Archive

HAMAS = "Who headed the Hamas delegation that met Hezbollah in Beirut?"


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    """langchain-tests' RetrieversIntegrationTests over the session's test archive."""

    @pytest.fixture(autouse=True)
    def _archive(self, news_store: Archive) -> None:
        self.archive = news_store  # the constructor params are a property: the suite builds retrievers itself

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"archive": self.archive}

    @property
    def retriever_query_example(self) -> str:
        return HAMAS


def test_invoke_takes_k_and_filters(news_store):
    retriever = HybridRetriever(archive=news_store)
    (top,) = retriever.invoke(HAMAS, k=1)
    assert "Ahmed Abdel Hadi" in top.page_content and top.metadata["title"].startswith("Beirut – Hamas")
    cnn = retriever.invoke(HAMAS, k=3, filters=Filters(sources=("cnn.com",)))
    assert len(cnn) == 3 and {d.metadata["source"] for d in cnn} == {"cnn.com"}
