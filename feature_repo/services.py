"""Feature services: the named feature sets models are trained and served with."""

from feast import FeatureService

from feature_repo.technical import TECHNICAL_VIEWS

technical_all = FeatureService(
    name="technical_all",
    features=list(TECHNICAL_VIEWS.values()),
    description="Every technical feature of the catalogue.",
)
