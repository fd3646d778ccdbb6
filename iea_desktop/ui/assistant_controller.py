"""The window's assistant: the model picker, model loading, turns in a worker, and the chat panel.

``AssistantController`` owns the assistant, its session on the open document, the turn and load
tasks and the chat panel's wiring. The window gives it the chat panel, the settings and its work
pool, tells it which document is open (``set_document``) and asks whether a turn runs (``busy``);
it hears back through signals: a turn starts or ends (``turn_running``), a turn made or changed a
node (``node_touched``), the line for the status bar (``described``).

Turns run on the controller's own one-thread pool; the reply streams into the chat through the
task's ``text`` signal. While a turn runs, the person's edit controls wait (the window does that
on ``turn_running``), because the session changes the graph from its own thread. A model loads in
a worker too; llama.cpp reports no progress while it reads the weights, so the load shows as busy
with the seconds it has taken so far.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QWidget

from ..core.chat import ChatMessage
from ..core.document import Document
from . import assistants
from .chat_panel import ChatPanel, MessageBubble
from .settings import Settings
from .workers import Task, make_pool

if TYPE_CHECKING:  # imported where used, to keep the start light
    from ..agent.assistants import ModelAssistant
    from ..agent.session import Assistant
    from .models_dialog import ModelsDialog

log = logging.getLogger(__name__)


class AssistantController(QObject):
    turn_running = Signal(bool)  # a turn starts (True) or has ended (False)
    node_touched = Signal(str)  # the first node a finished turn added or changed
    described = Signal(str)  # "Assistant: …", which assistant answers and where it runs

    def __init__(self, chat: ChatPanel, settings: Settings, work_pool: QThreadPool, parent=None):
        super().__init__(parent)
        self.chat = chat
        self.settings = settings
        self.work_pool = work_pool  # model loading
        self.pool = make_pool(1)  # turns, one at a time
        self.document: Document | None = None
        self.assistant: Assistant | None = None
        self.session = None
        self.choices: list[assistants.Choice] = []
        self.choice_index = 0
        self.turn_task: Task | None = None
        self.reply_bubble: MessageBubble | None = None
        self.load_task: Task | None = None
        self.warm_up_task: Task | None = None  # a model reading its instructions (``_warm_up``)
        self.models_dialog: ModelsDialog | None = None  # made on first use
        self.loading_clock: QTimer | None = None  # ticks once a second while a model loads
        # A request may be for more than the open photo (batch chat about a selection): ``route``
        # gets it first and returns True when it took it (``batch_chat.BatchChat.take``).
        self.route: Callable[[str], bool] | None = None
        self._loading_since = 0.0
        self._loading_text = ""
        chat.send_requested.connect(self.send)
        chat.stop_requested.connect(self.stop)
        chat.summarize_requested.connect(self.summarize)
        chat.assistant_chosen.connect(self.choose)
        chat.picker_opening.connect(self.refresh_choices)

    @property
    def busy(self) -> bool:
        """A turn is running (it changes the document from its own thread)."""
        return self.turn_task is not None

    def set_document(self, doc: Document | None) -> None:
        """The window opened ``doc``: a new session on it, and its saved conversation in the chat."""
        self.document = doc
        self.session = self._new_session()
        if doc is not None:
            self.show_transcript(doc)
        self._update_chat_availability()

    # --- choosing and loading an assistant ---------------------------------------------------

    def refresh_choices(self, initial: bool = False) -> None:
        """Fill the picker (again when it opens, so newly installed models show up)."""
        choices, note = assistants.choices()
        wanted = self.settings.value("assistant/choice", "builtin") if initial else self.choices[self.choice_index].key
        keys = [c.key for c in choices]
        if not initial and wanted not in keys:
            return  # the active model's file went away: keep showing it until another is picked
        self.choices = choices
        index = keys.index(wanted) if wanted in keys and choices[keys.index(wanted)].usable else 0
        self.chat.set_choices([(c.label, c.tooltip, c.usable) for c in choices], index)
        if note and initial:
            self.chat.add_notice(note)
        if initial:
            self.choose(index)

    def choose(self, index: int) -> None:
        choice = self.choices[index]
        if self.busy:
            self.chat.set_current_choice(self.choice_index)
            return
        self.end_warm_up()  # the model it was for is being replaced
        if choice.key == "builtin":
            try:
                assistant = assistants.load_builtin()
            except Exception as error:  # the agent package may be incomplete: say so in the chat
                self.chat.add_notice(f"The built-in assistant is not available: {error}")
                self.set_assistant(None, index)
                return
            self.set_assistant(assistant, index)
            return
        self._start_loading_clock(f"Loading {choice.label}")
        self.set_assistant(None, index, loading=True)
        task = Task(lambda t: assistants.load(choice, progress=lambda f, text: t.progress.emit(f, text)))
        task.progress.connect(lambda _fraction, text: self._show_loading(text))
        task.done.connect(lambda assistant: self._model_loaded(task, index, assistant))
        task.failed.connect(lambda error: self._model_failed(task, choice, error))
        self.load_task = task.start(self.work_pool)

    def _model_loaded(self, task: Task, index: int, assistant: ModelAssistant) -> None:
        if task is not self.load_task:
            return
        self.load_task = None
        self._stop_loading_clock()
        self.set_assistant(assistant, index)
        self.chat.add_notice(f"{assistant.name} is ready ({assistant.device_label}).", error=False)
        self._warm_up(assistant)

    def end_warm_up(self) -> None:
        """Stop a model's reading ahead (another model is chosen, or the window closes)."""
        if self.warm_up_task is not None:
            self.warm_up_task.cancel()
            self.warm_up_task = None

    def _warm_up(self, assistant: ModelAssistant) -> None:
        """The model reads its instructions while the person types the first request
        (``ModelAssistant.warm_up``: on 2 CPU cores about 7 s of a first turn). On the turns' pool:
        a turn asked meanwhile waits for it, then reads only its own part. A failure here is the
        next turn's to report."""
        task = Task(lambda t: assistant.warm_up(t.cancel_event))
        self.warm_up_task = task
        self.chat.set_status(f"{assistant.name} on {assistant.device_label}: reading its instructions…")

        def ended(error=None) -> None:
            if isinstance(error, Exception):
                log.info("%s could not read its instructions ahead: %s", assistant.name, error)
            if self.warm_up_task is task:
                self.warm_up_task = None
                if self.assistant is assistant:
                    self.chat.set_status(f"{assistant.name} on {assistant.device_label}")

        task.done.connect(ended)
        task.failed.connect(ended)
        task.start(self.pool)

    def _model_failed(self, task: Task, choice: assistants.Choice, error: Exception) -> None:
        if task is not self.load_task:
            return
        self.load_task = None
        self._stop_loading_clock()
        self.chat.add_notice(f"Could not load {choice.label}: {error}")
        self.chat.set_current_choice(0)
        self.choose(0)

    def _start_loading_clock(self, text: str) -> None:
        if self.loading_clock is None:
            self.loading_clock = QTimer(self, interval=1000)
            self.loading_clock.timeout.connect(lambda: self._show_loading())
        self._loading_since = time.monotonic()
        self._show_loading(text)
        self.loading_clock.start()

    def _show_loading(self, text: str | None = None) -> None:
        """A busy bar and "Loading Qwen… 12 s" (the step the backend reports, and the seconds so far)."""
        if text is not None:
            self._loading_text = text.rstrip("…")
        line = f"{self._loading_text}… {int(time.monotonic() - self._loading_since)} s"
        self.chat.set_loading(-1.0, line)
        self.chat.set_status(line)

    def _stop_loading_clock(self) -> None:
        if self.loading_clock is not None:
            self.loading_clock.stop()
        self.chat.set_loading(None)

    def show_models(self) -> None:
        """The model manager (catalogue, downloads); a finished download shows up in the picker at once."""
        if self.models_dialog is None:
            from .models_dialog import ModelsDialog

            window = self.parent()
            assert window is None or isinstance(window, QWidget), "the controller's parent is the main window"
            self.models_dialog = ModelsDialog(window)
            self.models_dialog.installed.connect(lambda _name: self.refresh_choices())
        self.models_dialog.refresh()
        self.models_dialog.show()
        self.models_dialog.raise_()
        self.models_dialog.activateWindow()

    def set_assistant(self, assistant, index: int, loading: bool = False) -> None:
        """``assistant`` answers from now on (None: none is ready); ``index`` is its place in the picker."""
        self.assistant = assistant
        self.choice_index = index
        if not loading:
            self.settings.set_value("assistant/choice", self.choices[index].key)
        self.session = self._new_session()
        text = assistants.describe(assistant) if not loading else "Loading a model…"
        self.described.emit(f"Assistant: {text}")
        if assistant is not None and assistant.is_builtin:
            self.chat.set_status(
                "Built-in assistant: understands simple requests and works without an AI model. "
                "Pick an installed model above for more."
            )
        elif assistant is not None:
            self.chat.set_status(f"{assistant.name} on {assistant.device_label}")
        self._update_chat_availability()

    def _new_session(self):
        if self.document is None or self.assistant is None:
            return None
        from ..agent.session import AssistantSession

        return AssistantSession(self.document, self.assistant)

    def _update_chat_availability(self) -> None:
        if self.document is None:
            self.chat.set_available(False, "Open a photo to start.")
        elif self.assistant is None:
            self.chat.set_available(False, "Loading the assistant…" if self.load_task else "No assistant is available.")
        else:
            self.chat.set_available(True)

    # --- turns -------------------------------------------------------------------------------

    def reply_title(self) -> str:
        if self.assistant is None:
            return "Assistant"
        return "Built-in assistant" if self.assistant.is_builtin else self.assistant.name

    def send(self, text: str) -> None:
        session = self.session
        if session is None or self.busy:
            return
        if self.route is not None and self.route(text):
            return
        self.chat.add_user(text)
        self._start_turn(lambda task: session.run_turn(text, on_text=task.text.emit, cancel=task.cancel_event))

    def summarize(self) -> None:
        session = self.session
        if session is None or self.busy:
            return
        self.chat.add_user("Summarize my edits")
        self._start_turn(lambda task: session.summarize(on_text=task.text.emit, cancel=task.cancel_event))

    def _start_turn(self, fn) -> None:
        bubble = self.chat.begin_reply(self.reply_title())
        task = Task(fn)
        task.text.connect(bubble.append)
        task.done.connect(lambda result: self._turn_done(task, bubble, result))
        task.failed.connect(lambda error: self._turn_failed(task, bubble, error))
        self.run_task(task, bubble)

    def run_task(self, task: Task, bubble: MessageBubble) -> None:
        """Run ``task`` as the turn (a turn of the session, or batch chat's): the controller is busy,
        the edit controls wait, Stop cancels it. Its maker calls ``finish_task`` when it ends."""
        self.turn_task = task
        self.reply_bubble = bubble
        self.chat.set_busy(True)
        self.turn_running.emit(True)
        task.start(self.pool)

    def stop(self) -> None:
        """Ask the running turn to stop (it ends changing nothing)."""
        if self.turn_task is not None:
            self.turn_task.cancel()
            if self.reply_bubble is not None:
                self.reply_bubble.set_meta("Stopping…")

    def _turn_done(self, task: Task, bubble: MessageBubble, result) -> None:
        self.finish_task(task)
        bubble.set_text(result.reply)
        bubble.set_changes(result.changes, self._live_ids(), result.undone)
        meta = [f"⚠ {w}" for w in result.warnings]
        if result.error:
            bubble.mark_failed()
        meta.append(f"{result.seconds:.1f} s")
        bubble.set_meta("\n".join(meta))
        if result.node_ids:
            self.node_touched.emit(result.node_ids[0])

    def _turn_failed(self, task: Task, bubble: MessageBubble, error: Exception) -> None:
        self.finish_task(task)
        bubble.set_text(f"Sorry, something went wrong: {error}. Nothing was changed.")
        bubble.mark_failed()

    def finish_task(self, task: Task) -> None:
        if task is self.turn_task:
            self.turn_task = None
            self.reply_bubble = None
            self.chat.set_busy(False)
            self.turn_running.emit(False)

    # --- the saved conversation --------------------------------------------------------------

    def _live_ids(self) -> set[str]:
        return set() if self.document is None else {node.id for node in self.document.graph.nodes}

    def _saved_changes(self, message: ChatMessage) -> list[dict]:
        """A transcript message's changes; projects saved before changes were recorded have only
        the ids of the nodes a turn made or changed, shown as they are now."""
        if message.changes is not None:
            return list(message.changes)
        nodes = {} if self.document is None else {node.id: node for node in self.document.graph.nodes}
        return [
            {"kind": "changed", "node_id": i, "text": f"{nodes[i].label} {nodes[i].summary()}"}
            for i in message.node_ids
            if i in nodes
        ]

    def show_transcript(self, doc: Document) -> None:
        """The chat shows ``doc``'s saved conversation (on opening it, and after restoring an autosave)."""
        self.chat.clear()
        for message in doc.chat:
            if message.is_user:
                self.chat.add_user(message.text)
                continue
            bubble = self.chat.begin_reply(message.model or "Assistant")
            bubble.set_text(message.text)
            bubble.set_changes(self._saved_changes(message), self._live_ids(), message.undone)
            bubble.set_meta("\n".join(f"⚠ {w}" for w in message.warnings))
        self._update_chat_availability()
