"""Where the lakes and offline tables live: the repo's ``data/`` folder by default, or any
base URI a cluster can reach (a shared path, ``file://``, ``s3://bucket/prefix``), addressed
through one pyarrow file system. Imports nothing of the platform but its repo paths."""
