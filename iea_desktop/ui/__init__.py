"""The desktop window (PySide6). Thin: widgets bind to core/agent objects; no image math here."""
