#!/bin/sh
# Install this IEA Desktop folder for the current user, where it is (nothing is copied but the
# menu entry and the icon): the `iea-desktop` command in ~/.local/bin, a menu entry and an icon.
#
#   ./install.sh              install (run it again after moving the folder)
#   ./install.sh --uninstall  remove the command, the menu entry and the icon (not this folder,
#                             nor your models and settings in ~/.local/share/iea-desktop)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=${IEA_BIN_DIR:-$HOME/.local/bin}
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor/256x256/apps"

refresh() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$BIN/iea-desktop" "$APPS/iea-desktop.desktop" "$ICONS/iea-desktop.png"
    refresh
    echo "IEA Desktop: command, menu entry and icon removed."
    exit 0
fi

[ -x "$HERE/iea-desktop" ] || { echo "install.sh: $HERE/iea-desktop not found: run me from the unpacked bundle" >&2; exit 1; }
mkdir -p "$BIN" "$APPS" "$ICONS"
ln -sf "$HERE/iea-desktop" "$BIN/iea-desktop"
cp "$HERE/iea-desktop.png" "$ICONS/iea-desktop.png"
# The menu runs the program by its full path: ~/.local/bin is not on every desktop's PATH.
case "$HERE" in
    *[\\\"\`\$\|%]*) echo "install.sh: move the folder to a path without \\ \" \` \$ | or % first" >&2; exit 1 ;;
esac
sed -e "s|^Exec=.*|Exec=\"$HERE/iea-desktop\" %f|" -e "s|^TryExec=.*|TryExec=$HERE/iea-desktop|" \
    "$HERE/iea-desktop.desktop" > "$APPS/iea-desktop.desktop"
refresh
echo "IEA Desktop installed: 'iea-desktop' in $BIN, and in the applications menu."
case ":$PATH:" in *":$BIN:"*) ;; *) echo "Note: $BIN is not on your PATH; add it to use the command in a terminal." ;; esac
