"""The HTTP edge: aiohttp routes, jinja2 pages, static files and the composition root."""
