"""Labels: schemas, financial labels, the label store, agreement, consensus, active learning,
versions, purged cross-validation and the annotation page."""
