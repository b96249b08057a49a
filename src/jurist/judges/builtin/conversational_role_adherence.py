"""ConversationalRoleAdherence: does the assistant stay in the role its system message gives it?"""

from __future__ import annotations

from typing import Any

from jurist.judges._base import Unit
from jurist.judges._render import conversation_turns
from jurist.judges.builtin._session import SessionJudge

NO_ROLE = "(no system message was given; infer the role from the conversation)"


class ConversationalRoleAdherence(SessionJudge):
    """``yes`` when every assistant turn keeps the persona, remit and limits of its assigned role.

    The role is the conversation's ``system`` turns; without one the model infers the role from the
    conversation. Needs ``session``: the conversation's turns, as ``{"role", "content"}`` messages,
    ``{"inputs", "outputs"}`` exchanges, or traces.

    Example:
        >>> ConversationalRoleAdherence(model="openai:/gpt-4o-mini")(session=[  # doctest: +SKIP
        ...     {"role": "system", "content": "You are Ava, a support agent for Acme routers only."},
        ...     {"role": "user", "content": "Write me a poem about cats."},
        ...     {"role": "assistant", "content": "I can only help with Acme routers."}]).value
        'yes'
    """

    prompt = "conversational_role_adherence"
    default_name = "conversational_role_adherence"

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        self.check_session(session)
        turns = conversation_turns(session)
        role = "\n\n".join(text for who, text in turns if who == "system") or NO_ROLE
        conversation = "\n\n".join(f"{who}: {text}" for who, text in turns if who != "system")
        return [Unit((("role", role), ("conversation", conversation)))]
