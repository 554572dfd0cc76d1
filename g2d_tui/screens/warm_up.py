"""Work the chat screen puts off until its first frame is up: importing and warming what
the first reply or picture would otherwise pay for on the event loop, and naming the widget
classes that appear only later (the tuning prepares their styles; see ``hooks``)."""

from __future__ import annotations


def warm_up(image_backend: str) -> None:
    """In a thread: Markdown rendering, the HTTP stack's asyncio backend and the modules of
    ``image_backend``, so the first request and the first /imagine do not import them."""
    from g2d_tui.widgets.markdown_lines import warm_up_markdown_rendering

    warm_up_markdown_rendering()
    # Imported on the event loop by the first request otherwise (the HTTP stack's
    # asyncio backend, 10-25 ms) or by the first /imagine (3-9 ms).
    try:
        import anyio._backends._asyncio  # noqa: F401
    except ImportError:  # another anyio layout: imported when first needed, as before
        pass
    import g2d_tui.services.image_store  # noqa: F401
    from g2d_tui.services.images import backend_class

    backend_class(image_backend)  # its modules, imported here rather than by the first /imagine


def widgets_mounted_later() -> list[type]:
    """What appears only once the user does something: replies and their Markdown blocks,
    image cards and their buttons, notes, notifications."""
    from textual.widget import Widget
    from textual.widgets import Button, Label, _markdown

    from g2d_tui.widgets.image_card import ImageCard
    from g2d_tui.widgets.markdown_lines import FrozenMarkdown
    from g2d_tui.widgets.picture import HalfcellPicture
    from g2d_tui.widgets.reply_markdown import reply_markdown_class
    from g2d_tui.widgets.turns import GeminiReply, Note, UserPrompt

    markdown_class = reply_markdown_class()
    blocks = {
        value
        for value in [*vars(_markdown).values(), *markdown_class.BLOCKS.values()]
        if isinstance(value, type) and issubclass(value, Widget) and value.__name__ not in ("Markdown", "MarkdownViewer", "MarkdownTableOfContents")
    }
    widgets = [ImageCard, Button, Label, GeminiReply, UserPrompt, Note, FrozenMarkdown, HalfcellPicture, markdown_class, *blocks]
    try:
        from textual.widgets._toast import Toast

        widgets.append(Toast)
    except ImportError:
        pass
    return widgets
