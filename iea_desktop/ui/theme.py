"""The dark theme: Fusion style, a dark palette and a small stylesheet (Lightroom/darktable-like greys)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

WINDOW = "#232427"
PANEL = "#2a2b2f"
BASE = "#1b1c1e"
CANVAS = "#141416"
TEXT = "#d9d9dc"
DIM_TEXT = "#8d8f96"
ACCENT = "#4b8df0"
ASSISTANT = "#9b7bea"  # badges and links for the assistant's work
PERSON = "#6b7079"
ERROR = "#f0736b"
WARNING = "#e8b04b"

STYLESHEET = f"""
QMainWindow::separator {{ background: {BASE}; width: 3px; height: 3px; }}
QDockWidget {{ color: {TEXT}; font-weight: 600; }}
QDockWidget::title {{ background: {PANEL}; padding: 5px 8px; border-bottom: 1px solid {BASE}; }}
QToolBar {{ background: {WINDOW}; border: none; border-bottom: 1px solid {BASE}; spacing: 2px; padding: 2px 6px; }}
QToolButton::menu-indicator {{ image: none; width: 0; }}
QToolButton {{ padding: 4px 8px; border-radius: 4px; background: #36383d; border: 1px solid #45474d; }}
QToolButton:hover {{ background: #3f4147; }}
QToolBar QToolButton {{ background: transparent; border: none; padding: 4px 9px; border-radius: 4px; }}
QToolBar QToolButton:hover {{ background: #34363b; }}
QToolBar QToolButton:checked {{ background: {ACCENT}; color: white; }}
QStatusBar {{ background: {BASE}; color: {DIM_TEXT}; }}
QStatusBar QLabel {{ color: {DIM_TEXT}; padding: 0 6px; }}
QTreeWidget, QListWidget {{ background: {BASE}; border: none; outline: none; }}
QTreeWidget::item, QListWidget::item {{ padding: 4px 2px; }}
QTreeWidget::item:selected, QListWidget::item:selected {{ background: #33507a; color: white; }}
QHeaderView::section {{ background: {PANEL}; color: {DIM_TEXT}; border: none; padding: 3px 6px; }}
QPushButton {{ background: #36383d; border: 1px solid #45474d; border-radius: 4px; padding: 5px 12px; }}
QPushButton:hover {{ background: #3f4147; }}
QPushButton:pressed {{ background: #2d2f33; }}
QPushButton:disabled {{ color: #666870; background: #2c2d31; }}
QPushButton#primary {{ background: {ACCENT}; border-color: {ACCENT}; color: white; font-weight: 600; }}
QPushButton#primary:hover {{ background: #5c9bf5; }}
QPushButton#hint {{ background: #2e2f34; border: 1px solid #4a4c53; border-radius: 12px; padding: 4px 14px; }}
QPushButton#hint:hover {{ border-color: {ASSISTANT}; }}
QPushButton#link {{ background: transparent; border: none; color: {ACCENT}; padding: 2px 4px; text-align: left; }}
QPushButton#link:hover {{ text-decoration: underline; }}
QSlider::groove:horizontal {{ height: 4px; background: #45474d; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: #6d7380; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: #e3e3e6; width: 12px; height: 12px; margin: -5px 0; border-radius: 6px; }}
QSlider::handle:horizontal:hover {{ background: white; }}
QSlider::handle:horizontal:disabled {{ background: #77797f; }}
QPlainTextEdit, QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    background: {BASE}; border: 1px solid #3d3f45; border-radius: 4px; padding: 3px 5px;
    selection-background-color: {ACCENT};
}}
QPlainTextEdit:focus, QLineEdit:focus {{ border-color: {ACCENT}; }}
QProgressBar {{ background: {BASE}; border: 1px solid #3d3f45; border-radius: 3px; text-align: center; height: 14px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 2px; }}
QScrollArea {{ border: none; background: {BASE}; }}
QScrollArea > QWidget > QWidget#chatMessages {{ background: {BASE}; }}
QFrame#userBubble {{ background: #2f4a72; border-radius: 8px; }}
QFrame#assistantBubble {{ background: #2e2f34; border-radius: 8px; border: 1px solid #3a3c42; }}
QFrame#noticeBubble {{ background: #3b2a2a; border-radius: 8px; border: 1px solid #6b3a38; }}
QFrame#infoBubble {{ background: #2b3330; border-radius: 8px; border: 1px solid #3d4d47; }}
QLabel#dim {{ color: {DIM_TEXT}; }}
QLabel#title {{ font-size: 15px; font-weight: 600; }}
QLabel#error {{ color: {ERROR}; }}
QLabel#emptyTitle {{ font-size: 24px; font-weight: 300; color: {TEXT}; }}
QLabel#builtinBadge {{ color: {ASSISTANT}; }}
QToolTip {{ background: #3a3c42; color: {TEXT}; border: 1px solid #55575e; padding: 4px; }}
QMenu {{ background: {PANEL}; border: 1px solid #3d3f45; }}
QMenu::item:selected {{ background: #33507a; }}
QTabBar::tab {{ background: {PANEL}; color: {DIM_TEXT}; padding: 5px 12px; border: none; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
"""


def dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.ToolTipBase: "#3a3c42",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: DIM_TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#36383d",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "white",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "white",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6a6c72"))
    return palette


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLESHEET)


def restyle(widget: QWidget, name: str) -> None:
    """Give ``widget`` the look the stylesheet has for the object name ``name`` ("primary",
    "noticeBubble", "dim", ...). Qt picks a widget's rules when it polishes it, so a new name
    shows only after the widget is polished again."""
    if widget.objectName() == name:
        return
    widget.setObjectName(name)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
