"""The scores API: ``uptake serve`` answers HTTP requests from the published marts.

- :mod:`uptake.api.database` opens the published file read-only and reopens it when a new
  build is published.
- :mod:`uptake.api.metrics` is the catalogue of metrics served as series.
- :mod:`uptake.api.app` holds the routes (FastAPI); :func:`uptake.api.app.create_app`.
"""
