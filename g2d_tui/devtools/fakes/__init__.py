"""Loopback fakes of the services g2d-tui talks to, speaking real HTTP (standard library
and Pillow only). The test suite runs them as pytest fixtures (``tests/fakes``); anyone
can run them to try the app without keys or a GPU::

    python -m g2d_tui.devtools.fakes              # Gemini and Hugging Face together
    python -m g2d_tui.devtools.fakes.gemini_server --port 8765 --hostile text
    python -m g2d_tui.devtools.fakes.a1111_server --port 7861

``python -m g2d_tui.devtools.fakes`` prints the command that points the app at them.
"""
