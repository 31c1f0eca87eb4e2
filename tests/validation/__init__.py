"""The simulator against closed forms (see ``cases.py`` and ``closed_forms.py``)."""
