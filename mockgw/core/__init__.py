"""The neutral core: the request view rules read, matching, the engine, clock, journal and seeds (each
request's random sources, ``seeds.py``).

Nothing here imports aiohttp or yaml; faces parse into it and render from it.
"""
