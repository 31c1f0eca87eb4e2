"""Estimators on plain arrays (numpy/scipy only): confidence intervals, MSER-5 warm-up, quantile CIs.

Used by ``experiment`` (sequential stopping, automatic warm-up) and ``analysis``."""
