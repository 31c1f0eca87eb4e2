"""Unit tests, laid out as the package: ``tests/unit/<folder>/test_<module>.py`` tests
``kernsim.<folder>.<module>``, ``tests/unit/test_<module>.py`` a top-level module
(``test_readme``, ``test_layers`` and ``test_dependencies`` check the repository as a whole).
Every folder is a package, so that equal basenames in two folders do not clash."""
