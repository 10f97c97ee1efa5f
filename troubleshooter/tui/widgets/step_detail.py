"""StepDetail: the selected step's question, why it matters, what was found, and its evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from troubleshooter.redact import redact
from troubleshooter.tui import messages as m
from troubleshooter.tui.marks import WORDS, glyph, step_status
from troubleshooter.tui.widgets.evidence import EvidencePanel

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Reported
    from troubleshooter.graph import Step
    from troubleshooter.observations import Observations

KIND_WORDS = {"symptom": "Symptom", "check": "Check", "question": "Question for you",
              "cause": "Root cause", "finding": "Finding", "healthy": "Conclusion"}


class QuestionChoices(OptionList):
    """The answers to a question no probe can settle; choosing one re-walks the graph."""

    def ask(self, step: "Step") -> None:
        self.clear_options()
        node = step.node
        self.add_options([Option(escape(text), id=choice) for choice, text in node.spec.choices.items()])
        choices = list(node.spec.choices)
        self.highlighted = choices.index(step.outcome) if step.outcome in choices else 0
        self.question = node.short

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(m.QuestionAnswered(self.question, event.option.id))


class StepDetail(VerticalScroll):
    """Everything about one step of the walk."""

    def compose(self) -> ComposeResult:
        yield Static(id="step-title")
        yield Static(id="step-meta")
        yield Static(id="step-why")
        yield Static(id="step-result")
        yield QuestionChoices(id="step-choices")
        yield EvidencePanel(id="step-evidence")

    def show(self, step: "Step | None", obs: "Observations | None", reported: "Reported | None" = None) -> None:
        title = self.query_one("#step-title", Static)
        meta = self.query_one("#step-meta", Static)
        why = self.query_one("#step-why", Static)
        result = self.query_one("#step-result", Static)
        choices = self.query_one("#step-choices", QuestionChoices)
        evidence = self.query_one("#step-evidence", EvidencePanel)
        if step is None:
            title.update("[b]The walk[/b]")
            meta.update("")
            why.update("Choose a symptom to start walking the decision graph.")
            result.update("")
            choices.display = False
            evidence.show(())
            return
        node = step.node
        status = step_status(step)
        title.update(f"[b]{escape(node.title)}[/b]")
        kind, word = KIND_WORDS.get(node.kind, node.kind), WORDS.get(status, status)
        meta.update(f"{glyph(status)} {kind}{' · ' + word if word.lower() != kind.lower() else ''}"
                    f"  [$text-muted]{escape(node.id)}[/]")
        text = reported.why if reported is not None else node.why
        why.update(f"[b]Why it matters[/b]\n{escape(text)}" if text else "")
        result.update(self.finding(step, reported))
        choices.display = node.kind == "question"
        if node.kind == "question":
            choices.ask(step)
        lines: tuple[str, ...] = ()
        if node.kind == "symptom" and obs is not None and node.short in obs.logs:
            lines = obs.logs[node.short].lines
        if reported is not None:
            evidence.show(reported.evidence, (), reported.expected_actual)
        elif step.result is not None:
            evidence.show(step.result.evidence, lines, step.result.expected_actual)
        else:
            evidence.show((), lines)

    @staticmethod
    def finding(step: "Step", reported: "Reported | None") -> str:
        node = step.node
        if step.pending:
            return "[$accent]Waiting for its probes: " + escape(", ".join(node.probes)) + "[/]"
        if node.kind == "symptom":
            examples = "\n".join(f"  • {escape(e)}" for e in node.spec.examples)
            return f"[b]Looks like[/b]\n{examples}" if examples else ""
        if node.kind == "question":
            chosen = node.spec.choices.get(step.outcome)
            return (f"[b]Your answer[/b] {escape(chosen)}" if chosen else
                    "[$warning]No probe can answer this: press enter, then choose.[/]")
        if reported is not None:
            fix = reported.commands or reported.steps
            lines = [f"[b]Found[/b] {escape(redact(reported.summary))}"]
            if fix:
                lines.append("[b]Fix[/b]")
                lines += [f"  [$accent]{escape(redact(c))}[/]" for c in fix]
            return "\n".join(lines)
        if step.result is not None:
            return f"[b]Found[/b] {escape(redact(step.result.summary))}"
        return ""
