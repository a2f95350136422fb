"""Label views: one Feast ``LabelView`` per label table under ``data/labels/tables/<name>/``
(written by ``axiom labels generate`` or ``axiom labels consensus``), keyed by the labelled
event and timestamped by the label's end ``t1``. Defined here so ``feast apply`` keeps them."""

from pathlib import Path

from axiom_features.labeling.feast_labels import LABEL_ENTITY, label_views_in

label_item = LABEL_ENTITY
LABEL_VIEWS = label_views_in(Path.cwd())
globals().update({f"{name}_label_view": view for name, view in LABEL_VIEWS.items()})
