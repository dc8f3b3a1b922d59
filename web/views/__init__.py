"""aiohttp views, one module per audience."""
