"""`iea-desktop xmp PHOTO -o OUT.xmp`: a photo's edits as a Lightroom / Camera Raw sidecar, and
`render PHOTO --xmp FILE.xmp`: a sidecar's settings as the edits to render (core/xmp.py, docs/xmp.md)."""

from __future__ import annotations

import sys
from pathlib import Path


def add_parser(sub) -> None:
    """The `xmp` subcommand on the command line's subparsers."""
    xmp = sub.add_parser(
        "xmp",
        help="write a photo's edits as a Lightroom / Camera Raw XMP sidecar",
        description="Write the photo's edits (its project next to it, or --project) as Camera Raw settings. "
        "Adjustments that have no Camera Raw equivalent are named on stderr (docs/xmp.md).",
    )
    xmp.add_argument("photo")
    xmp.add_argument("-o", "--output", required=True, help="the sidecar to write (.xmp)")
    xmp.add_argument("--project", help="the project file whose edits to write")
    xmp.add_argument("-q", "--quiet", action="store_true")
    xmp.set_defaults(func=run)


def run(args) -> int:
    from .cli import CliError, _open_document
    from .core import xmp
    from .core.export import check_target

    target = Path(args.output)
    if target.suffix.lower() != ".xmp":
        raise CliError(f"{target.name}: the sidecar's name must end in .xmp (Lightroom looks for PHOTO-NAME.xmp)")
    check_target(target, Path(args.photo))
    doc = _open_document(args.photo, args.project)
    for note in doc.notes:
        print(f"note: {note}", file=sys.stderr)
    sidecar = xmp.write_sidecar(target, doc.graph.nodes, xmp.Photo.of(doc.info), source=Path(args.photo))
    for node, why in sidecar.skipped:
        print(f"not written: {node.label} ({node.summary()}): {why}", file=sys.stderr)
    if not args.quiet:
        count = len(sidecar.settings) + len(sidecar.curves)
        print(f"wrote {target} ({count} Camera Raw settings, {len(sidecar.skipped)} adjustments not written)")
    return 0


def open_document(args):
    """The photo with the sidecar's settings as its edits (`render --xmp`): the photo's own project
    is not used; a warning on stderr for each setting not read."""
    from .cli import CliError
    from .core import image_io, xmp
    from .core.document import Document
    from .core.history import AddNode, Compound

    if args.project:
        raise CliError("--xmp and --project both give the edits; choose one")
    doc = Document(Path(args.photo), image_io.probe(args.photo))
    nodes, warnings = xmp.read_sidecar(args.xmp, xmp.Photo.of(doc.info))
    for warning in warnings:
        print(f"warning: {Path(args.xmp).name}: {warning}", file=sys.stderr)
    if nodes:
        doc.apply(Compound([AddNode(node) for node in nodes], text=f"Settings from {Path(args.xmp).name}"))
    return doc
