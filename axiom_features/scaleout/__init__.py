"""Scale-out on Ray: the engine chosen by configuration, a capped cluster connection, and
plain Ray tasks over batches with their results handed back in order. Imports nothing else
of the platform; the jobs (transform, retrieval) pass it the function a batch runs."""
