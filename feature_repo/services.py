"""Feature services: the named feature sets models are trained and served with.

One service per family (``technical_all`` for TA-Lib, ``<family>_all`` for the others) and
``all_features`` with every view.
"""

from feast import FeatureService

from feature_repo.views import FEATURE_VIEWS

SERVICE_NAMES = {"talib": "technical_all"}


def _family_services() -> dict[str, FeatureService]:
    by_family: dict[str, list] = {}
    for view in FEATURE_VIEWS.values():
        by_family.setdefault(view.tags["family"], []).append(view)
    services = {}
    for family, views in by_family.items():
        name = SERVICE_NAMES.get(family, f"{family}_all")
        services[name] = FeatureService(
            name=name, features=views, description=f"Every feature of the {family} family."
        )
    return services


FAMILY_SERVICES = _family_services()
globals().update(FAMILY_SERVICES)

all_features = FeatureService(
    name="all_features",
    features=list(FEATURE_VIEWS.values()),
    description="Every feature of the catalogue.",
)
