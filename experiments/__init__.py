"""The shipped studies, installed as the package data ``kernsim.studies``.

This file only makes the folder importable so that ``importlib.resources``
finds it in an editable install as in a wheel; the studies are the TOML files.
"""
