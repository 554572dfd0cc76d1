"""Settings with fake keys, pointing at the loopback fakes (no Textual: the CLI tests use it too)."""

from __future__ import annotations

from pathlib import Path

from g2d_tui.settings.model import Settings


def keyed_settings(gemini_url: str = "", hf_url: str = "", save_dir: Path | None = None) -> Settings:
    """Default settings with fake Gemini and Hugging Face keys, talking to ``gemini_url`` and
    ``hf_url`` (the fakes' base URLs; empty: the defaults), saving pictures in ``save_dir``."""
    settings = Settings()
    settings.gemini.api_key = "AIzaFAKE-test-key-0000"
    settings.gemini.base_url = gemini_url
    hf = settings.images.huggingface
    hf.api_key = "hf_FAKE_test_token_0000"
    hf.provider = "hf-inference"  # no provider lookup: the pipeline, not the choice, is under test
    if hf_url:
        hf.base_url = hf.hub_url = hf_url
    if save_dir is not None:
        settings.images.save_dir = str(save_dir)
    return settings
