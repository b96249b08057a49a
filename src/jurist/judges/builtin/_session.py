"""What the conversation judges share: reading the ``session`` argument."""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import render_conversation
from jurist.judges.builtin._common import BuiltinJudge

SESSION_HINT = " (a non-empty list of turns: {'role', 'content'} messages, {'inputs', 'outputs'} exchanges, or traces)"


class SessionJudge(BuiltinJudge):
    """A judge of a whole conversation, given as ``session``."""

    required = ("session",)

    def check_session(self, session: Any) -> None:
        if session is None or (isinstance(session, (list, tuple)) and not session):
            raise self._missing("session=", SESSION_HINT)

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        self.check_session(session)
        return [Unit((("conversation", render_conversation(session)),))]
