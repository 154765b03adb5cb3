"""``kcbot chat``: a line-based chat on stdin/stdout, for testers and scripts.

Each input line is one citizen message; the replies follow, separated by a blank line. It works
in a pipe like an IVR test rig. The conversation belongs to ``--sender`` (a new one per run unless
given), so running again with the same sender continues where the last run stopped.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import TextIO

from kcbot.dialogue import Engine, TurnResult
from kcbot.errors import StoreUnavailable
from kcbot.privacy import mask_cpr

__all__ = ["chat", "debug_line"]

PROMPT = "du> "
CHANNEL = "terminal"


def debug_line(result: TurnResult) -> str:
    """Intent, confidence, slots and the flow stack after a reply; CPR masked."""
    state = result.state
    parse = result.parse
    slots = {k: v for k, v in state.slots.items() if v is not None}
    parts = [
        f"intent={parse.intent} ({parse.confidence:.2f})" if parse else "intent=-",
        "slots=" + json.dumps(slots, ensure_ascii=False, sort_keys=True),
        "flows=" + (" > ".join(frame.flow for frame in state.stack) or "-"),
    ]
    if state.requested_slot:
        parts.append(f"venter på={state.requested_slot}")
    if state.outcome:
        parts.append(f"udfald={state.outcome}")
    return mask_cpr("  [" + " | ".join(parts) + "]")


async def chat(engine: Engine, *, sender: str | None = None, debug: bool = False,
               stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    sender = sender or f"terminal-{uuid.uuid4().hex[:8]}"
    interactive = stdin.isatty()
    if interactive:
        print("kcbot chat. Skriv 'farvel' for at slutte; Ctrl-D lukker chatten.\n", file=stdout)
    while True:
        if interactive:
            print(PROMPT, end="", file=stdout, flush=True)
        try:
            line = stdin.readline()
        except UnicodeDecodeError:
            line = "\ufffd\n"  # undecodable bytes are a message the bot says it cannot read
        if not line:
            break
        try:
            result = await engine.turn(sender, line.rstrip("\n"), channel=CHANNEL)
        except StoreUnavailable as exc:  # nothing was changed: the citizen may write it again
            print(exc, file=stdout, flush=True)
            continue
        for reply in result.replies:
            print(reply.text, file=stdout)
        if debug:
            print(debug_line(result), file=stdout)
        print(file=stdout, flush=True)
        if result.ended:
            break
    return 0
