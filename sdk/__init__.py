"""Charter's SDK for services: registry client, serialisers, producers and consumers.

Built in a later issue; the package exists so the layout is in place.
"""

__all__: list[str] = []
