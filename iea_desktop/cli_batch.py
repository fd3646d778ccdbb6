"""Command line for many photos: `iea-desktop batch` and `iea-desktop presets`.

iea-desktop batch PHOTO... -o DIR [--params JSON | --preset NAME | --project-from FILE] [--ask TEXT] [...]
    one output per photo in DIR, named after it (--name "{name}-edited"); progress and every failed
    photo on stderr; exit status 1 when any photo failed (the others are still written). Neither the
    photos nor their projects are written. See docs/batch.md.
iea-desktop presets list | show NAME | save NAME (--params JSON | --project-from FILE) | apply NAME PHOTO...
                   | rename OLD NEW | delete NAME | import FILE | export NAME FILE

The work is core/batch.py and core/presets.py (and agent/batch_chat.py for --ask); this module
only reads arguments and prints. cli.py calls ``add_parser`` and dispatches to ``run``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

COMMANDS = ("batch", "presets")
EXIT_FAILED = 1  # some photo failed (cli.EXIT_ERROR)
EXIT_INTERRUPTED = 130


def add_parser(sub) -> None:
    """Add the `batch` and `presets` subcommands to cli.py's subparsers."""
    from .core.batch import TEMPLATE_FIELDS

    fields = ", ".join(f"{{{name}}} {text}" for name, text in TEMPLATE_FIELDS.items())
    batch = sub.add_parser(
        "batch",
        help="export many photos, each with its own edits plus a preset or an assistant request",
        description="Export every PHOTO into DIR with its own edits (its project), plus the settings "
        "given. One bad photo never stops the others; the exit status is 1 when any failed.",
        epilog="Outputs are written atomically and named the same way every run: a re-run overwrites "
        "them (or, with --skip-existing, leaves those that exist). docs/batch.md has more, with job runners.",
    )
    batch.add_argument("photos", nargs="+", metavar="PHOTO")
    batch.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (made if missing)")
    settings = batch.add_mutually_exclusive_group()
    settings.add_argument("--params", help='tool values to apply to every photo, e.g. {"exposure": 20}, or a file')
    settings.add_argument("--preset", help="a preset's name (`iea-desktop presets list`) or a .ieapreset file")
    settings.add_argument("--project-from", metavar="FILE", help="apply the edits of this project file to every photo")
    batch.add_argument("--ask", metavar="TEXT", help='an assistant request run on each photo, e.g. "make it warmer"')
    batch.add_argument("--model", help="with --ask: builtin (default) or a GGUF model's path; also $IEA_MODEL")
    batch.add_argument("--mmproj", help="with --ask: the model's vision projector")
    batch.add_argument("--format", choices=("jpeg", "png", "tiff", "webp"), default="jpeg")
    batch.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality, 1-100 (default 92)")
    batch.add_argument("--bit-depth", type=int, choices=(8, 16), default=8, help="16 for 16-bit TIFF")
    batch.add_argument("--long-edge", type=int, metavar="N", help="downscale so the long edge is at most N pixels")
    batch.add_argument(
        "--sharpen", choices=("none", "low", "standard", "high"), default="none", help="output sharpening (for screen)"
    )
    batch.add_argument(
        "--name", default="{name}", metavar="TEMPLATE", help=f"output file name without extension: {fields}"
    )
    batch.add_argument("--no-metadata", action="store_true", help="write neither EXIF nor the colour profile")
    batch.add_argument("--skip-existing", action="store_true", help="leave outputs that exist alone (resume a batch)")
    batch.add_argument("--jobs", type=int, metavar="N", help="photos exported at once (default: 2 on 2 cores or more)")
    batch.add_argument("-q", "--quiet", action="store_true", help="say only what failed")
    batch.set_defaults(func=run)

    presets = sub.add_parser("presets", help="list, save, apply, rename, delete, import or export presets")
    actions = presets.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="built-in and your presets")
    show = actions.add_parser("show", help="a preset's adjustments")
    show.add_argument("name")
    save = actions.add_parser("save", help="save tool values or a project's edits as a preset")
    save.add_argument("name")
    source = save.add_mutually_exclusive_group(required=True)
    source.add_argument("--params", help='tool values, e.g. {"exposure": 20}, or a file holding them')
    source.add_argument("--project-from", metavar="FILE", help="the edits of this project file (not its crop)")
    save.add_argument("--description", default="")
    save.add_argument("--overwrite", action="store_true", help="replace a preset of that name")
    apply = actions.add_parser("apply", help="apply a preset to photos and save their projects")
    apply.add_argument("name")
    apply.add_argument("photos", nargs="+", metavar="PHOTO")
    rename = actions.add_parser("rename")
    rename.add_argument("name")
    rename.add_argument("new_name")
    delete = actions.add_parser("delete")
    delete.add_argument("name")
    imported = actions.add_parser("import", help="add the preset in a .ieapreset file")
    imported.add_argument("file")
    imported.add_argument("--overwrite", action="store_true", help="replace a preset of that name")
    exported = actions.add_parser("export", help="write a preset to a .ieapreset file")
    exported.add_argument("name")
    exported.add_argument("file")
    presets.set_defaults(func=run)


def run(args) -> int:
    """Run `batch` or `presets`; errors that stop the whole command become one line (cli.CliError)."""
    from .cli import CliError
    from .core.batch import BatchError
    from .core.presets import PresetError

    try:
        return _batch(args) if args.command == "batch" else _presets(args)
    except (BatchError, PresetError) as error:
        raise CliError(str(error)) from None


def _store():
    from .agent.look_presets import look_presets
    from .core.presets import PresetStore

    return PresetStore(builtin=look_presets())


def _settings(args, name: str):
    """The settings --params, --preset or --project-from give (a Preset), or None."""
    from .cli import CliError, _load_params
    from .core import presets, project
    from .core.graph import EditGraph

    if args.params:
        return presets.Preset.from_values(name, _load_params(args.params), origin=presets.CLIPBOARD)
    if getattr(args, "preset", None):
        if args.preset.endswith(presets.SUFFIX) and Path(args.preset).exists():
            return presets.read_file(args.preset)
        return _store().get(args.preset)
    if args.project_from:
        file = Path(args.project_from)
        data = project.read_project(file)
        try:
            graph = EditGraph.from_list(data.get("graph", []))
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise CliError(f"{file.name}: damaged project file ({error})") from None
        return presets.copy_settings(graph, file.name)
    return None


def _batch(args) -> int:
    from .cli import CliError, _library_chatter_to_log
    from .core import batch
    from .core.export import ExportOptions

    if args.long_edge is not None and args.long_edge < 1:
        raise CliError(f"--long-edge must be a number of pixels, at least 1, not {args.long_edge}")
    if args.jobs is not None and args.jobs < 1:
        raise CliError(f"--jobs must be at least 1, not {args.jobs}")
    options = ExportOptions(
        format=args.format.upper(),
        quality=args.quality,
        bit_depth=args.bit_depth,
        max_edge=args.long_edge,
        keep_metadata=not args.no_metadata,
        sharpen=args.sharpen,
    )
    preset = batch.ExportPreset(options, args.name, args.skip_existing)
    settings = _settings(args, "the command line")
    edit = None
    if args.ask:
        from .agent.assistants import load_assistant
        from .agent.batch_chat import chat_edit

        assistant = load_assistant(args.model or os.environ.get("IEA_MODEL") or "builtin", args.mmproj)
        edit = chat_edit(args.ask, assistant)

    def progress(event: batch.Progress) -> None:
        result = event.result
        if result is None:
            return
        where = f"[{event.done}/{event.total}] {result.photo.name}"
        for note in result.notes:
            print(f"{where}: note: {note}", file=sys.stderr)
        if result.status == batch.FAILED:
            print(f"{where}: FAILED: {result.error}", file=sys.stderr, flush=True)
            return
        if result.reply:
            print(f"{result.photo.name}: {result.reply}")
        if not args.quiet:
            size = f" ({result.size[0]} × {result.size[1]}, {result.seconds:.2f} s)" if result.size else ""
            print(f"{where}: {result.status} {result.output}{size}", file=sys.stderr, flush=True)

    try:
        with _library_chatter_to_log():
            report = batch.export_photos(args.photos, args.output, preset, settings, edit, progress, jobs=args.jobs)
    except KeyboardInterrupt:
        print("batch: interrupted; the files written so far are complete", file=sys.stderr)
        return EXIT_INTERRUPTED
    failed = "; failed: " + ", ".join(str(r.photo) for r in report.failed) if report.failed else ""
    print(f"batch: {report.summary()} into {args.output}{failed}", file=sys.stderr)
    return 0 if report.ok else EXIT_FAILED


def _presets(args) -> int:
    from .core import batch, presets

    store = _store()
    if args.action == "list":
        for preset in store.list():
            kind = "built-in" if preset.read_only else "yours"
            print(f"{preset.name:24} {kind:8}  {preset.summary()}")
        for problem in store.problems:
            print(f"note: not listed: {problem}", file=sys.stderr)
        print(f"Your presets: {store.folder}", file=sys.stderr)
    elif args.action == "show":
        preset = store.get(args.name)
        print(f"{preset.name}: {preset.description}".rstrip(": "))
        print(preset.summary())
    elif args.action == "save":
        settings = _settings(args, args.name)
        preset = presets.Preset.from_nodes(args.name, settings.nodes, settings.ops, args.description)
        stored = store.save(preset, overwrite=args.overwrite)
        print(f"saved “{stored.name}”: {stored.summary()} ({stored.path})")
    elif args.action == "apply":
        preset = store.get(args.name)
        report = batch.apply_to_photos(preset, args.photos)
        for result in report.results:
            if result.status == batch.FAILED:
                print(f"iea-desktop: failed: {result.photo}: {result.error}", file=sys.stderr)
            else:
                print(f"{result.photo.name}: applied “{preset.name}” (saved {result.output})")
        return 0 if report.ok else EXIT_FAILED
    elif args.action == "rename":
        print(f"renamed to “{store.rename(args.name, args.new_name).name}”")
    elif args.action == "delete":
        store.delete(args.name)
        print(f"deleted “{args.name.strip()}”")
    elif args.action == "import":
        stored = store.import_file(args.file, overwrite=args.overwrite)
        print(f"imported “{stored.name}”: {stored.summary()}")
    elif args.action == "export":
        print(f"wrote {store.export_file(args.name, args.file)}")
    return 0
