"""The twin: SimPy time and Mesa agents driving the shared core."""
