"""The command palette provider: every action bound on the current screen and the app, by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ActionsProvider(Provider):
    """Lists the actions the footer would offer (and the hidden ones), with their tooltips as help."""

    def _actions(self) -> list[tuple[str, str, object]]:
        found: dict[str, tuple[str, str, object]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not active.enabled or not binding.description or binding.system:
                continue
            key = f"{id(active.node)}:{binding.action}"
            if key not in found:
                title = binding.tooltip or binding.description
                run = partial(self.app.run_action, binding.action, active.node)
                keys = self.app.get_key_display(binding)
                found[key] = (f"{binding.description} ({keys})", title, run)
        return list(found.values())

    async def discover(self) -> Hits:
        for name, help_text, run in self._actions():
            yield DiscoveryHit(name, run, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._actions():
            score = matcher.match(f"{name} {help_text}")
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)  # type: ignore[arg-type]
