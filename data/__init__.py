"""The shipped data (published figures, examples), installed as ``kernsim.data``.

This file only makes the folder importable so that ``importlib.resources``
finds it in an editable install as in a wheel; the data are the CSV files.
"""
