"""Sixel and Kitty pictures encoded in a thread instead of inside render().

textual-image encodes a picture while Textual renders it, on the event loop: Sixel in
pure Python (~130 ms for 640×480 pixels without numpy), Kitty as a PNG in base64. Sixel
data comes from :mod:`g2d_tui.services.sixel` (same picture, 2-4 times faster). The
whole app froze that long whenever a picture arrived. Here the picture gets a fixed
size in cells, chosen up front to keep its aspect ratio, so :func:`encode_picture` can
produce exactly what textual-image would, in a thread; the widgets hand that to
textual-image's own render path, which then only looks it up. Any other size (a
terminal too narrow for the picture) falls back to textual-image's encoding.

This reaches into textual-image's private hooks (the same in 0.12 and 0.14);
``graphics_picture_class`` returns None if they are missing, and the caller then uses
textual-image's widgets unchanged.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodedPicture:
    cells: tuple[int, int]
    """Columns and rows the picture takes."""
    pixel_size: tuple[int, int]
    data: str
    """Sixel data, or the base64 PNG that the Kitty protocol sends."""


def picture_cells(image_size: tuple[int, int], columns: int, rows: int, cell: tuple[int, int]) -> tuple[int, int]:
    """The largest cell box within ``columns`` × ``rows`` that keeps the picture's aspect ratio."""
    width, height = image_size
    cell_width, cell_height = cell
    columns = max(1, columns)
    fitted_rows = max(1, min(rows, round(columns * cell_width * height / width / cell_height)))
    fitted_columns = max(1, min(columns, round(fitted_rows * cell_height * width / height / cell_width)))
    return fitted_columns, fitted_rows


def _fitted(image_size: tuple[int, int], columns: int, rows: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The cells a picture of ``image_size`` takes within ``columns`` × ``rows``, and its pixels there."""
    from textual_image._terminal import get_cell_size

    cell = get_cell_size()
    cells = picture_cells(image_size, columns, rows, (cell.width, cell.height))
    return cells, (cells[0] * cell.width, cells[1] * cell.height)


def picture_pixels(image_size: tuple[int, int], columns: int, rows: int) -> tuple[int, int]:
    """The pixels a picture of ``image_size`` is drawn with, fitted within ``columns`` × ``rows`` cells."""
    return _fitted(image_size, columns, rows)[1]


def prepare(renderer: str, image: Any, display_box: tuple[int, int], columns: int, rows: int) -> tuple[Any, EncodedPicture]:
    """The picture to keep for ``image`` (a GeneratedImage) and its encoding within
    ``columns`` × ``rows`` cells. CPU only: for a thread.

    The preview decoded when the backend checked the bytes will do if it is the whole
    image, or has at least the pixels the picture is drawn with: decoding again took ~60 ms.
    """
    from g2d_tui.services.image_codec import display_copy
    from g2d_tui.widgets.picture import covers

    preview = image.preview
    if preview is not None and (
        preview.size == (image.width, image.height) or covers(preview, picture_pixels(preview.size, columns, rows))
    ):
        picture = preview
    else:
        picture = display_copy(image.data, *display_box)
    return picture, encode_picture(renderer, picture, columns, rows)


NEW_PICTURE_FIRST = 0.1
"""Seconds a part of an older Sixel picture waits after a new picture was encoded."""

_no_new_picture = threading.Event()
"""Cleared while a new picture is encoded. Adding its card scrolls older pictures partly out
of view, and encoding their parts (another ~40 ms of CPU) slowed the new one down."""
_no_new_picture.set()


def encode_picture(renderer: str, image: Any, columns: int, rows: int) -> EncodedPicture:
    """Fit ``image`` (RGB) within ``columns`` × ``rows`` cells, scale and encode it as
    textual-image would. CPU only: for a thread."""
    _no_new_picture.clear()
    try:
        return _encode_picture(renderer, image, columns, rows)
    finally:
        _no_new_picture.set()


def _encode_picture(renderer: str, image: Any, columns: int, rows: int) -> EncodedPicture:
    cells, pixel_size = _fitted(image.size, columns, rows)
    # Bicubic as textual-image scales (without its two copies), after an integer box
    # reduction where the picture shrinks by 2× or more: half the time (8 ms instead of
    # 16 for 1024² to 480²), and no visible difference (44 dB PSNR against bicubic alone).
    scaled = image.resize(pixel_size, reducing_gap=1.0)
    if renderer == "sixel":
        from g2d_tui.services.sixel import image_to_sixels

        data = image_to_sixels(scaled)
    else:
        from textual_image._pixeldata import PixelData

        data = PixelData(scaled).to_base64()
    return EncodedPicture(cells, pixel_size, data)


def _sixels_for_part(image: Any, size: Any, crop: Any) -> str:
    """Sixels for the ``crop`` (cells) of ``image`` shown in ``size`` cells, as textual-image
    scales and crops it. CPU only: for a thread."""
    from textual_image._pixeldata import PixelData
    from textual_image._terminal import get_cell_size

    from g2d_tui.services.sixel import image_to_sixels

    cell = get_cell_size()
    # The widget's size is set in cells, so textual-image scales to exactly that many pixels.
    part = PixelData(image).scaled(size.width * cell.width, size.height * cell.height).cropped(
        crop.x * cell.width, crop.y * cell.height, crop.right * cell.width, crop.bottom * cell.height
    )
    return image_to_sixels(part.pil_image)


PART_DELAY = 0.1
"""Seconds a partly visible Sixel picture waits before its part is encoded: while the chat
scrolls, a picture shows cut for a frame or two at a time, and a part encoded for each
(~40 ms of CPU in a thread) was mostly never drawn."""

KITTY_CHUNK = 4096
"""Base64 characters per Kitty graphics message: the protocol's limit."""


def kitty_transmission(image_id: int, payload: str) -> str:
    """The Kitty messages sending ``payload`` (base64 PNG) as image ``image_id``, in chunks,
    with the keys textual-image sends."""
    chunks = [payload[start:start + KITTY_CHUNK] for start in range(0, len(payload), KITTY_CHUNK)] or [""]
    last = len(chunks) - 1
    return "".join(
        f"\x1b_Gi={image_id},m={0 if number == last else 1},f=100,q=2;{chunk}\x1b\\" for number, chunk in enumerate(chunks)
    )


def _write_to_terminal(data: str) -> None:
    """Where textual-image writes Kitty graphics: straight to the terminal, past Textual.
    One write: sliced and written 4 KB at a time, a picture took ~10 ms of the event loop."""
    import sys

    if sys.__stdout__ is not None:
        sys.__stdout__.write(data)
        sys.__stdout__.flush()


def _build_classes() -> dict[str, type]:
    from textual.dom import NoScreen
    from textual.geometry import Region
    from textual.strip import Strip
    from textual.worker import get_current_worker
    from textual_image.renderable.tgp import Image as TGPRenderable
    from textual_image.widget import SixelImage, TGPImage
    from textual_image.widget.sixel import _ImageSixelImpl, _NoopRenderable

    _ImageSixelImpl._get_sixel_segments  # noqa: B018 - the hook we draw with: AttributeError if gone

    class _SixelCanvas(_ImageSixelImpl):
        """textual-image's Sixel child widget, fed data encoded in threads.

        A terminal cannot clip a Sixel picture, so textual-image encodes again for every
        visible part of it (each scroll step, on the event loop). Here the whole picture
        comes encoded, and a partly visible one is encoded in a thread, one part at a
        time, the latest wanted; the area stays blank until its part is ready.
        """

        encoded: EncodedPicture | None = None
        drawn = False

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._parts: dict[tuple, str] = {}
            self._wanted: tuple | None = None
            self._encoding = False

        def render_lines(self, crop):
            if self.encoded is None or self.image is None:
                lines = super().render_lines(crop)
            else:
                key = (crop, self.content_size)
                whole = self._is_whole(crop)
                if whole:
                    self._wanted = None  # a part asked for a moment ago is not needed any more
                data = self.encoded.data if whole else self._parts.get(key)
                if data is None:
                    self._want(key)
                    return [Strip.blank(crop.width)] * crop.height
                lines = self._sixel_lines(crop, data)
            self.drawn = self.drawn or bool(lines)
            return lines

        def _sixel_lines(self, crop, data: str) -> list:
            """textual-image's render of ready Sixel data, without its cache check: that
            compares the picture's pixels byte for byte (two copies of ~0.8 MB) per render."""
            try:
                if not self.screen.is_active:
                    return []
            except NoScreen:
                return []
            return [Strip([])] * (crop.height - 1) + [Strip(self._get_sixel_segments(data), cell_length=crop.width)]

        def _is_whole(self, crop) -> bool:
            return self.content_size == self.encoded.cells and crop == Region(0, 0, *self.encoded.cells)

        def _want(self, key: tuple) -> None:
            self._wanted = key
            if not self._encoding:
                self._encoding = True
                self.set_timer(PART_DELAY, self._encode_wanted_part)

        def _encode_wanted_part(self) -> None:
            if self._wanted is None:
                self._encoding = False
            else:
                self.run_worker(self._encode_part, thread=True, exit_on_error=False, group="sixel-part")

        def _encode_part(self) -> None:
            while True:
                key = self._wanted
                if key is None:  # scrolled back to the whole picture meanwhile
                    self.app.call_from_thread(setattr, self, "_encoding", False)
                    return
                crop, size = key
                if not _no_new_picture.is_set():  # its first frame goes first
                    _no_new_picture.wait(timeout=5)
                    time.sleep(NEW_PICTURE_FIRST)
                    if get_current_worker().is_cancelled:
                        return
                    continue  # what is wanted may have changed meanwhile
                try:
                    data = _sixels_for_part(self.image, size, crop)
                except Exception:
                    log.warning("encoding part of a Sixel picture failed", exc_info=True)
                    self.app.call_from_thread(setattr, self, "_encoding", False)  # a later scroll may try again
                    return
                if get_current_worker().is_cancelled:
                    return
                if not self.app.call_from_thread(self._part_ready, key, data):
                    return

        def _part_ready(self, key: tuple, data: str) -> bool:
            """Keep ``data`` and redraw; True when another part is wanted meanwhile."""
            if len(self._parts) >= 16:  # a few scroll positions are enough to keep
                self._parts.pop(next(iter(self._parts)))
            self._parts[key] = data
            self.refresh()
            self._encoding = self._wanted != key
            return self._encoding

    class GraphicsSixelImage(SixelImage, Renderable=_NoopRenderable):
        renderer = "sixel"
        mounted_classes: tuple[type, ...] = ()
        """This widget's class and its child's: their CSS, for the preload-css piece."""

        def __init__(self, image: Any, encoded: EncodedPicture | None = None, **kwargs) -> None:
            super().__init__(image, **kwargs)
            # Its image setter asked for a recompose. Mounting composes the canvas anyway:
            # the recompose then replaced it with a second one as the picture arrived.
            self._recompose_required = False
            self.encoded = encoded
            if encoded is not None:
                self.styles.width, self.styles.height = encoded.cells

        def compose(self):
            canvas = _SixelCanvas(self.image, self._sixel_options)
            canvas.encoded = self.encoded
            yield canvas

        @property
        def drawn(self) -> bool:
            canvas = self.query_one_optional(_SixelCanvas)
            return canvas is not None and canvas.drawn

    class _PreparedTGP(TGPRenderable):
        encoded: EncodedPicture | None = None

        def _send_image_to_terminal(self, width: int, height: int) -> None:
            encoded = self.encoded
            if encoded is None or (width, height) != encoded.pixel_size:
                super()._send_image_to_terminal(width, height)
                return
            self.terminal_image_id = image_id = next(TGPRenderable._image_id_counter)
            _write_to_terminal(kitty_transmission(image_id, encoded.data))

    class GraphicsTGPImage(TGPImage, Renderable=_PreparedTGP):
        renderer = "tgp"
        mounted_classes: tuple[type, ...] = ()

        def __init__(self, image: Any, encoded: EncodedPicture | None = None, **kwargs) -> None:
            super().__init__(image, **kwargs)
            self.encoded = encoded
            self.drawn = False
            if encoded is not None:
                self.styles.width, self.styles.height = encoded.cells

        def render(self):
            renderable = super().render()
            if isinstance(renderable, _PreparedTGP):
                renderable.encoded = self.encoded
                self.drawn = True
            return renderable

    for widget_class in (GraphicsSixelImage, GraphicsTGPImage):
        widget_class.prepare = classmethod(lambda cls, *args: prepare(cls.renderer, *args))
    GraphicsSixelImage.mounted_classes = (GraphicsSixelImage, _SixelCanvas)
    GraphicsTGPImage.mounted_classes = (GraphicsTGPImage,)
    return {"sixel": GraphicsSixelImage, "tgp": GraphicsTGPImage}


_classes: dict[str, type] | None = None


def graphics_picture_class(renderer: str) -> type | None:
    """The widget for ``sixel`` or ``tgp``, taking an :class:`EncodedPicture`; None when
    textual-image's private hooks are not what this module expects."""
    global _classes
    if _classes is None:
        try:
            _classes = _build_classes()
        except (ImportError, AttributeError, TypeError):
            _classes = {}
    return _classes.get(renderer)


def install():
    """The graphics-in-threads piece: the picture factory for Sixel and Kitty goes in its slot."""
    from g2d_tui import hooks

    hooks.fill("graphics_picture_class", graphics_picture_class)
    return lambda: None
