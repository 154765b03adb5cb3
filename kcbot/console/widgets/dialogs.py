"""The console's dialogs: one line of text, a yes/no confirmation, and the `?` help.

They are modal screens over the queue, so the list stays visible (dimmed) behind a prompt
that names the ticket it acts on."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Markdown

__all__ = ["HELP", "Confirm", "HelpScreen", "Prompt"]


class Prompt(ModalScreen[str | None]):
    """Ask for one line of text (initials, a note, a reason); Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Annuller")]

    def __init__(self, question: str, placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt", classes="dialog"):
            yield Label(self.question, markup=False)
            yield Input(placeholder=self.placeholder, id="prompt-input")
            yield Label("Enter gemmer · Escape annullerer", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """Yes or no, with what will happen spelled out; `j` / Enter confirms, `n` / Escape
    does not."""

    BINDINGS = [
        Binding("j,y", "answer(True)", "Ja"),
        Binding("n,escape", "answer(False)", "Nej"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="dialog"):
            yield Label(self.question, markup=False, classes="dialog-question")
            if self.detail:
                yield Label(self.detail, markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Ja (j)", variant="primary", id="yes")
                yield Button("Nej (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


# The help text is data beside the console, so it can be corrected without a code change.
HELP = (Path(__file__).parent.parent / "hjaelp.md").read_text(encoding="utf-8")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Luk hjælpen")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield Markdown(HELP, id="help-text")
            yield Label("Escape eller ? lukker hjælpen", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#help").focus()

    def action_close(self) -> None:
        self.dismiss(None)
