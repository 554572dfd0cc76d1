"""Widgets: they render and post messages; they never call services."""
