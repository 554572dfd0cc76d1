"""Screens: chat and settings."""
