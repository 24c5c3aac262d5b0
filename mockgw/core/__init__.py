"""The neutral core: the request view rules read, matching, the engine, clock and journal.

Nothing here imports aiohttp or yaml; faces parse into it and render from it.
"""
