"""Render resources/iea-desktop.svg to the icon files the installers use.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py

writes resources/iea-desktop.png (256 px: the Linux .desktop icon), iea-desktop.ico (Windows,
16-256 px) and iea-desktop.icns (macOS, 16 px to 512 px @2x). The outputs are committed, so a build needs
neither this script nor QtSvg; run it again after changing the SVG.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
SVG = RESOURCES / "iea-desktop.svg"


def render_png(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    from PIL import Image

    big = Image.open(io.BytesIO(render_png(1024))).convert("RGBA")  # icns holds up to 512@2x
    icon = Image.open(io.BytesIO(render_png(256))).convert("RGBA")
    icon.save(RESOURCES / "iea-desktop.png", optimize=True)
    icon.save(RESOURCES / "iea-desktop.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    big.save(RESOURCES / "iea-desktop.icns")
    for name in ("iea-desktop.png", "iea-desktop.ico", "iea-desktop.icns"):
        print(f"wrote {RESOURCES / name} ({(RESOURCES / name).stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
