"""g2d-tui: chat with Gemini and imagine images from the terminal."""

__version__ = "0.1.0"
