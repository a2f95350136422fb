"""News: the headline lake, a synthetic headline generator and the CSV import."""

from axiom_features.news.csv_import import NewsImportResult, import_news_csv
from axiom_features.news.lake import NewsLake, empty_news
from axiom_features.news.paths import news_quarantine, news_root
from axiom_features.news.synthetic import generate_news

__all__ = [
    "NewsImportResult",
    "NewsLake",
    "empty_news",
    "generate_news",
    "import_news_csv",
    "news_quarantine",
    "news_root",
]
