"""Placeholder: the fake Hugging Face server lands here."""
