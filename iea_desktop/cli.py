"""Command line: the same engine without a window.

iea-desktop [PHOTO]                       open the app (optionally on a photo)
iea-desktop render PHOTO -o OUT [...]     render edits to a file
iea-desktop xmp PHOTO -o OUT.xmp          the edits as a Lightroom / Camera Raw sidecar (cli_xmp.py)
iea-desktop edit PHOTO "TEXT" -o OUT [...] one assistant turn, then render
iea-desktop models list|download NAME     the model catalogue
iea-desktop doctor [--json]               what this installation has and whether it works
iea-desktop batch|presets ...             many photos at once, presets (cli_batch.py)

--verbose (before the command) also writes the log to stderr; the log file is in the
user data folder's logs/ (see iea_desktop.logs).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

from . import __version__, cli_batch

EXIT_ERROR = 1
CHATTER_LIMIT = 64_000  # bytes of C-library output kept for the log per command
PARAMS_MAX_BYTES = 1_000_000


class CliError(Exception):
    """A message for the person at the terminal; printed without a traceback."""


def _load_params(text: str) -> dict:
    """--params: a JSON object, or the path of a file holding one (strict JSON: core.files)."""
    from .core import files

    candidate = Path(text)
    if not text.lstrip().startswith("{") and not candidate.exists() and (text.endswith(".json") or "/" in text):
        raise CliError(f"--params: {text}: file not found")
    try:
        if not text.lstrip().startswith("{") and candidate.exists():
            params = files.read_json(candidate, PARAMS_MAX_BYTES, str(candidate))
        else:
            params = files.load_json(text, "--params")
    except files.InputError as error:
        raise CliError(str(error)) from None
    if not isinstance(params, dict):
        raise CliError('--params must be a JSON object such as {"exposure": 20}')
    return params


def _open_document(photo: str, project_file: str | None, create: bool = False):
    """Open a photo with the given project; with ``create``, a missing project file starts a new one
    (with no edits: not those of a project found next to the photo)."""
    from .core import image_io
    from .core.document import Document

    if project_file is not None and not Path(project_file).exists():
        if not create:
            raise CliError(f"{project_file}: project file not found")
        doc = Document(Path(photo), image_io.probe(photo))
        doc.project_path = Path(project_file)
        return doc
    return Document.open(photo, project_file=project_file)


def _export_options(args):
    from .core.export import ExportOptions

    return ExportOptions(quality=args.quality, bit_depth=args.bit_depth, max_edge=args.max_size)


def _eight_bit_export(args) -> bool:
    """Whether `render` goes from the photo's 8 bits straight to an 8-bit file (Document.export),
    so that main() starts decoding them early."""
    from .core.export import full_size_8_bit

    return not args.iea_exact and full_size_8_bit(_export_options(args))


def _write(doc, args) -> tuple[Path, tuple[int, int]]:
    """Render and write the file, as the export dialog does (Document.export): the path written
    and the picture's size (width, height)."""
    decoding = getattr(args, "decoding", None)  # started early by main()
    return doc.export(
        args.output,
        _export_options(args),
        source=decoding.result()[1] if decoding is not None else None,
        iea_exact=args.iea_exact,
    )


def cmd_render(args) -> int:
    from .core.graph import make_node
    from .core.history import AddNode, Compound
    from .core.ops import get_op

    started = time.perf_counter()
    if args.max_size is not None and not 0 < args.max_size <= MAX_EDGE_ARGUMENT:
        raise CliError(f"--max-size must be a number of pixels from 1 to {MAX_EDGE_ARGUMENT}, not {args.max_size}")
    from . import cli_xmp

    doc = cli_xmp.open_document(args) if args.xmp else _open_document(args.photo, args.project)
    for note in doc.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.params:
        values = _load_params(args.params)
        commands = []
        for name, value in values.items():
            spec = get_op(name)
            params = value if isinstance(value, dict) else {"value": value}
            version = 1 if args.iea_exact and spec.iea_tool else None
            commands.append(AddNode(make_node(spec.name, params, version=version)))
        doc.apply(Compound(commands, text="Parameters from the command line"))
    target, (w, h) = _write(doc, args)
    if not args.quiet:
        print(
            f"wrote {target} ({w} × {h}, {len(doc.graph.active_nodes())} active adjustments, "
            f"{time.perf_counter() - started:.2f} s)"
        )
    return 0


def _check_output(output: str, photo: str) -> None:
    """Refuse an output that the export would refuse (the photo itself, an unknown type, a missing
    folder) before the turn, so a failed `edit` has changed nothing and can simply be run again."""
    from .core.export import ExportOptions, check_target, format_for

    target = Path(output)
    check_target(target, Path(photo))
    format_for(target, ExportOptions())
    if not target.parent.is_dir():
        raise CliError(f"{target.parent}: folder does not exist")


def cmd_edit(args) -> int:
    """One assistant turn. With --project the project is locked from reading to saving (two edits of
    one project at once both keep their turn, one after the other), and it is saved only after the
    export worked: an edit that fails leaves the project as it was."""
    if args.output:
        _check_output(args.output, args.photo)
    with _project_lock(args.project):
        with _library_chatter_to_log():
            doc = _open_document(args.photo, args.project, create=True)
        for note in doc.notes:
            print(f"note: {note}", file=sys.stderr)
        assistant, result = _run_turn(doc, args)
        if args.output:
            from .core.export import ExportOptions

            with _library_chatter_to_log():
                doc.export(args.output, ExportOptions())
        if args.project:
            _save_turn(doc, Path(args.project))
    if args.trace:
        try:
            _write_trace(Path(args.trace), doc, result, assistant)
        except OSError as error:
            saved = " (the turn itself was saved in the project)" if args.project else ""
            raise CliError(f"{args.trace}: the trace cannot be written ({error.strerror or error}){saved}") from None
    if result.error:
        raise CliError(f"the assistant failed: {result.error}")
    return 0


def _project_lock(project_file: str | None):
    """The project's lock for a read-modify-write (core.project.locked); nothing to lock without one."""
    if project_file is None:
        return contextlib.nullcontext()
    from .core import project

    return project.locked(Path(project_file))


def _run_turn(doc, args):
    from .agent.assistants import load_assistant
    from .agent.session import AssistantSession

    model = args.model or os.environ.get("IEA_MODEL") or "builtin"

    def progress(fraction: float, text: str) -> None:
        if args.verbose:
            print(f"loading model: {100 * fraction:3.0f}% {text}", file=sys.stderr)

    assistant = load_assistant(model, args.mmproj, progress=progress, dialect=args.dialect)
    stream = (lambda chunk: print(chunk, end="", file=sys.stderr, flush=True)) if args.verbose else None
    result = AssistantSession(doc, assistant).run_turn(args.text, on_text=stream)
    if args.verbose:
        print(file=sys.stderr)
    print(f"{assistant.name}: {result.reply}")
    for warning in result.warnings:
        print(f"note: {warning}", file=sys.stderr)
    return assistant, result


def _save_turn(doc, target: Path) -> None:
    """Save the project; when it cannot be written (a full disk, a read-only folder), save the turn
    in the data folder instead and say where, or say that it was not saved."""
    from .core import project

    try:
        doc.save(target)
        return
    except OSError as error:
        problem = f"{target}: the project cannot be written ({error.strerror or error})"
    rescue = project.fallback_path(doc.path)
    try:
        doc.save(rescue)
    except OSError as error:
        raise CliError(f"{problem}; this turn was not saved ({rescue}: {error.strerror or error})") from None
    raise CliError(f"{problem}; this turn was saved to {rescue} instead")


def _write_trace(path: Path, doc, result, assistant) -> None:
    from .core.project import atomic_write_json

    nodes = [
        {
            "id": n.id,
            "op": n.op,
            "version": n.version,
            "params": n.params,
            "enabled": n.enabled,
            "origin": n.provenance.origin,
            "reason": n.provenance.reason,
        }
        for n in doc.graph.nodes
    ]
    atomic_write_json(
        path,
        {
            "reply": result.reply,
            "nodes": nodes,
            "changed": result.node_ids,
            "warnings": result.warnings,
            "model": assistant.name,
            "device": assistant.device_label,
            "seconds": round(result.seconds, 4),
            "vision": bool(getattr(assistant, "has_vision", False)),
            "error": result.error,
        },
    )


def cmd_models(args) -> int:
    from .agent import models

    if args.action == "list":
        installed = models.list_installed_models()
        print("Installed:" if installed else "Installed: none (the built-in assistant is always available)")
        for m in installed:
            vision = f"vision: {m.mmproj_path.name}" if m.mmproj_path else "text only"
            state = f"  UNUSABLE: {m.problem}" if m.problem else ""
            print(f"  {m.name:32} {m.size_bytes / 1e6:8.0f} MB  {m.dialect:7}  {vision}  {m.path}{state}")
        print("Catalogue:")
        for entry in models.load_catalog():
            files = entry["files"].values()
            if all(models.installed_path(f["name"]) for f in files):
                have = "installed"
            elif any(models.installed_path(f["name"]) or models.partial_bytes(f["name"]) for f in files):
                have = "partly downloaded"
            else:
                have = "not installed"
            fits = {True: "fits memory", False: "too big for memory", None: ""}[models.fits_memory(entry)]
            size = models.human_size(sum(f["size"] for f in files))
            print(
                f"  {entry['name']:16} {size:>7}  {entry['dialect']:7}  {have:17}  {fits:18}  {entry['title']}: {entry['use']}"
            )
        print(f"Model folders: {', '.join(str(d) for d in models.model_dirs())}")
        return 0
    if not args.name:
        raise CliError("models download needs a NAME from `iea-desktop models list`")

    def progress(name: str, done: int, total: int) -> None:
        share = "checking SHA-256…" if done >= total else f"{100 * done / total:5.1f}% of {models.human_size(total)}"
        print(f"\r{name}: {share}   ", end="", file=sys.stderr, flush=True)

    try:
        paths = models.download_model(args.name, progress)
    except KeyboardInterrupt:
        print(f"\ncancelled; `iea-desktop models download {args.name}` resumes where it stopped", file=sys.stderr)
        return 130
    print(file=sys.stderr)
    for path in paths:
        print(f"ready: {path}")
    return 0


def cmd_doctor(args) -> int:
    from . import doctor

    report = doctor.collect()
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(doctor.format_text(report))
    return 0


def cmd_gui(args) -> int:
    from .ui.app import run_app

    return run_app(args.photo)


PIXEL_LIMIT_NOTE = (
    "Photos over {limit:g} MP are refused before they are decoded (a guard against damaged files and "
    "decompression bombs: every megapixel takes about 12 MB of memory while rendering); the {variable} "
    "environment variable raises the limit, e.g. {variable}=400000000 for 400 MP."
)
MAX_EDGE_ARGUMENT = 1_000_000  # --max-size: far past any photo's edge (a bigger one changes nothing)


def build_parser() -> argparse.ArgumentParser:
    from .core.image_io import DEFAULT_MAX_PIXELS, MAX_PIXELS_VARIABLE

    limit_note = PIXEL_LIMIT_NOTE.format(limit=DEFAULT_MAX_PIXELS / 1e6, variable=MAX_PIXELS_VARIABLE)
    parser = argparse.ArgumentParser(prog="iea-desktop", description="Photo editor with a local assistant.")
    parser.add_argument("--version", action="version", version=f"iea-desktop {__version__}")
    parser.add_argument(
        "--verbose",
        dest="log_verbose",
        action="store_true",
        help="also write the log to stderr (give it before the command)",
    )
    sub = parser.add_subparsers(dest="command")

    render = sub.add_parser("render", help="render a photo with edits to a file", epilog=limit_note)
    render.add_argument("photo")
    render.add_argument("-o", "--output", required=True, help="output file (.jpg, .png, .tif, .webp)")
    render.add_argument("--params", help='JSON object of tool values, e.g. {"exposure": 20}, or a file holding one')
    render.add_argument("--project", help="render a saved project file")
    render.add_argument("--xmp", help="render a Lightroom / Camera Raw XMP sidecar's settings (docs/xmp.md)")
    render.add_argument(
        "--iea-exact", action="store_true", help="the 16 tools with IEA reference semantics and 8-bit quantisation"
    )
    render.add_argument("--max-size", type=int, help="downscale so the long edge is at most N pixels")
    render.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality (1-100)")
    render.add_argument("--bit-depth", type=int, choices=(8, 16), default=8, help="16 for 16-bit TIFF")
    render.add_argument("-q", "--quiet", action="store_true")
    render.set_defaults(func=cmd_render)
    from . import cli_xmp

    cli_xmp.add_parser(sub)

    edit = sub.add_parser("edit", help="ask the assistant for an edit, then render", epilog=limit_note)
    edit.add_argument("photo")
    edit.add_argument("text", help='the request, e.g. "make it warmer"')
    edit.add_argument("-o", "--output", help="write the edited photo here")
    edit.add_argument("--model", help="builtin (default) or the path of a GGUF model; also $IEA_MODEL")
    edit.add_argument("--mmproj", help="vision projector GGUF for the model (found next to it when omitted)")
    edit.add_argument("--dialect", choices=("iea", "generic"), help="override how the model is prompted")
    edit.add_argument("--project", help="project file: the graph and chat carry over between calls")
    edit.add_argument("--trace", help="write the reply and the whole graph as JSON")
    edit.add_argument("-v", "--verbose", action="store_true", help="stream the model's output to stderr")
    edit.set_defaults(func=cmd_edit)

    models = sub.add_parser("models", help="list installed and catalogued models, or download one")
    models.add_argument("action", choices=("list", "download"))
    models.add_argument("name", nargs="?")
    models.set_defaults(func=cmd_models)

    doctor = sub.add_parser("doctor", help="versions, GPU support, Qt platform, models and folders, and what is wrong")
    doctor.add_argument("--json", action="store_true", help="the report as JSON")
    doctor.set_defaults(func=cmd_doctor)
    cli_batch.add_parser(sub)
    return parser


COMMANDS = ("render", "edit", "models", "doctor", "xmp", *cli_batch.COMMANDS)


def _start_logging(verbose: bool, argv: list[str]):
    """The rotating log file (and stderr with --verbose); see iea_desktop.logs."""
    from . import logs

    path = logs.setup_logging(verbose)
    logs.install_excepthook()
    log = logging.getLogger("iea_desktop.cli")
    log.info(
        "iea-desktop %s (Python %s, %s) started: %s",
        __version__,
        sys.version.split()[0],
        "bundled" if getattr(sys, "frozen", False) else "from source",
        argv,
    )
    log.debug("log file: %s", path or "none (the logs folder is not writable)")
    return log


def _writes_to_fd2(stream) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):  # pytest's capture, a closed or no stream
        return False


@contextlib.contextmanager
def _library_chatter_to_log():
    """Send what libraries say about a damaged photo to the log, not the terminal.

    C libraries (libtiff, libpng, LibRaw, OpenCV) print their warnings straight to file descriptor 2,
    around the one-line message the person gets. While this is active, descriptor 2 goes to a
    temporary file whose text is logged at the end, and Python's sys.stderr keeps the terminal;
    Python warnings (Pillow's) are logged too. Not for a model's turn: a crash in llama.cpp must
    still reach the terminal.
    """
    log = logging.getLogger("iea_desktop.libraries")
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no descriptor 2 (a windowed program)
        yield
        return
    capture = tempfile.TemporaryFile()
    stderr = sys.stderr
    own_stderr = _writes_to_fd2(stderr)
    os.dup2(capture.fileno(), 2)
    if own_stderr:
        sys.stderr = open(terminal, "w", encoding=stderr.encoding, errors=stderr.errors, buffering=1, closefd=False)

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        log.info("%s: %s (%s:%s)", category.__name__, message, filename, lineno)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            yield
    finally:
        if own_stderr:
            sys.stderr.close()
            sys.stderr = stderr
        os.dup2(terminal, 2)
        os.close(terminal)
        capture.seek(0)
        text = capture.read(CHATTER_LIMIT).decode("utf-8", "replace")
        capture.close()
        for line in text.splitlines():
            if line.strip():
                log.info("library: %s", line)


def main(argv: list[str] | None = None) -> int:
    from .core.allocator import keep_freed_memory

    keep_freed_memory()  # before the first picture-sized work (the decode starts below)
    argv = list(sys.argv[1:] if argv is None else argv)
    if getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure"):
        # a file name that is not valid UTF-8 is printed as its own bytes, as `ls` does, not a crash
        sys.stdout.reconfigure(errors="surrogateescape")
    verbose = False
    while argv and argv[0] == "--verbose":  # the global flag, before the command
        verbose = True
        argv.pop(0)
    with contextlib.ExitStack() as stack:
        if argv and argv[0] in COMMANDS:
            args = build_parser().parse_args(argv)
            if args.func is cmd_render:
                stack.enter_context(_library_chatter_to_log())
            if args.func is cmd_render and _eight_bit_export(args):
                from .core import image_io

                # the decode runs on its own core while the rest of the editor is imported and the
                # document opened (docs/performance.md); a photo that cannot be read is reported as
                # always. A command that fails before it needs the pixels waits for the decode all
                # the same, so that what the decoders say still goes to the log.
                args.decoding = image_io.load_in_background(args.photo, keep_8bit=True)
                stack.callback(concurrent.futures.wait, [args.decoding])
        else:
            gui = argparse.ArgumentParser(
                prog="iea-desktop",
                description="Photo editor with a local assistant. "
                f"Commands: {', '.join(COMMANDS)} (iea-desktop COMMAND --help).",
            )
            gui.add_argument("--version", action="version", version=f"iea-desktop {__version__}")
            gui.add_argument("--verbose", dest="log_verbose", action="store_true", help="also write the log to stderr")
            gui.add_argument("photo", nargs="?", help="photo to open")
            args = gui.parse_args(argv)
            args.func = cmd_gui
        return _run(args, _start_logging(verbose or getattr(args, "log_verbose", False), argv))


def _run(args, log) -> int:
    """Run the command; whatever stops it ends in one line on stderr (details in the log)."""
    from .agent.errors import ModelFileError
    from .core.export import ExportError
    from .core.files import InputError, WriteError
    from .core.image_io import ImageLoadError
    from .core.ops import OpError
    from .core.project import ProjectError
    from .logs import FILE_ONLY

    def fail(message: str, details: bool = False) -> int:
        print(f"iea-desktop: {message}", file=sys.stderr)
        log.error("%s", message, exc_info=details, extra=FILE_ONLY)
        return EXIT_ERROR

    try:
        return args.func(args)
    except (
        CliError,
        ImageLoadError,
        ProjectError,
        OpError,
        ExportError,
        ModelFileError,
        InputError,
        WriteError,
    ) as error:
        return fail(f"error: {error}")
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        return fail("error: not enough memory for this photo and these edits", details=True)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        return fail(f"error: {where}{error.strerror or error}", details=True)
    except Exception as error:  # a bug: still one line for the person, the traceback in the log
        from .logs import log_file

        return fail(f"internal error: {type(error).__name__}: {error} (details in {log_file()})", details=True)


if __name__ == "__main__":
    sys.exit(main())
