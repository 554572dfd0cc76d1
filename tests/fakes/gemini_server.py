"""Placeholder: the fake Gemini server lands here."""
