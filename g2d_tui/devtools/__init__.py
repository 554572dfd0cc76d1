"""Tools for trying and developing g2d-tui, shipped with it; the app never imports them."""
