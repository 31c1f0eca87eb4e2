"""The long time scale: the timed failure/repair engine, the vectorised fast engine, cascades and performability."""
