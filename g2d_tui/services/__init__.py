"""Network and disk services. Nothing in here imports Textual."""
