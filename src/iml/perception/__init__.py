"""Perception: what the task is (Description Analyzer) and what the data holds (Profiling Agent)."""
