"""Charter's built-in log broker.

Built in a later issue; the package exists so the layout is in place.
"""
