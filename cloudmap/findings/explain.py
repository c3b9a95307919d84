"""A finding's path as numbered steps: each hop names its move and the evidence that allows it."""

from __future__ import annotations

from collections.abc import Callable


def _join(values, limit: int = 4) -> str:
    values = [str(v) for v in values or [] if v not in (None, "")]
    more = f" (+{len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


def _why(ev: dict, key: str, words: str) -> str:
    """A clause such as ", allowed by a, b" naming one evidence list; empty when the list is."""
    return f"{words}{_join(ev[key], 3)}" if ev.get(key) else ""


def _reach(ev: dict) -> str:
    text = f"reachable from the internet on {_join(ev.get('ports')) or 'any port'} ({ev.get('via') or 'direct'})"
    text += _why(ev, "rules", ", allowed by ")
    if ev.get("weaknesses"):
        text += f"; exploitable without a CVE: {_join(ev['weaknesses'])}"
    return text


def _connect(ev: dict) -> str:
    return f"can connect on {_join(ev.get('ports')) or 'any port'}" + _why(ev, "rules", ", allowed by ")


def _authenticate(ev: dict) -> str:
    return f"obtains the identity's credentials ({ev.get('via') or 'runs as it'})" + _why(ev, "evidence", " through ")


def _assume(ev: dict) -> str:
    text = "can assume the role: its trust policy admits the caller and the caller may call sts:AssumeRole"
    text += f" ({_join(ev['evidence'], 3)})" if ev.get("evidence") else ""
    return text + (f"; only if {ev['condition']}" if ev.get("conditional") and ev.get("condition") else "")


def _escalate(ev: dict) -> str:
    text = f"escalates by {ev.get('method') or 'a privilege escalation'}"
    if ev.get("method_id"):
        text += f" [{ev['method_id']}]"
    if ev.get("steps"):
        text += f": {' then '.join(ev['steps'])}"
    return text + (f" (allowed by {_join(ev['evidence'], 3)})" if ev.get("evidence") else "")


def _access(ev: dict) -> str:
    text = f"has {ev.get('level') or 'some'} access"
    if ev.get("actions"):
        text += f" ({_join(ev['actions'])})"
    if ev.get("reason"):
        text += f": {ev['reason']}"
    else:
        text += _why(ev, "evidence", " by ")
    return text + ("; conditional" if ev.get("conditional") else "")


def _credential(ev: dict) -> str:
    where = _join(ev.get("where"), 3)
    kind = f" ({ev['kind']})" if ev.get("kind") else ""
    return f"its {ev.get('location') or 'configuration'}{f' ({where})' if where else ''} holds a credential{kind} that opens it"


MOVES: dict[str, Callable[[dict], str]] = {
    "CAN_REACH": _reach, "CAN_CONNECT_TO": _connect, "CAN_AUTHENTICATE_AS": _authenticate,
    "CAN_ASSUME": _assume, "CAN_ESCALATE_TO": _escalate, "CAN_ACCESS": _access,
    "EXPOSES_CREDENTIAL": _credential,
}


def steps(path: dict) -> list[dict]:
    """``[{step, from, move, to, explanation}]`` for the relationships of a stored path, in order."""
    names = {n["id"]: n.get("name") or n["id"] for n in path.get("nodes", [])}
    out = []
    for number, rel in enumerate(path.get("relationships", []), start=1):
        ev = rel.get("evidence") or {}
        explain = MOVES.get(rel["type"])
        out.append({"step": number, "from": names.get(rel["start"], rel["start"]), "move": rel["type"],
                    "to": names.get(rel["end"], rel["end"]),
                    "explanation": explain(ev) if explain else rel["type"].lower().replace("_", " ")})
    return out


def as_text(finding: dict) -> str:
    """The finding as a reader sees it: title, level, then one numbered line per hop."""
    lines = [f"{finding['title']}  [{finding['level']}, score {finding['score']}]",
             f"{finding['entry']['name']} -> {finding['target']['name']}  ({finding['id']})"]
    others = finding.get("other_paths") or 0
    lines.append(f"Path ({finding.get('hops')} hop(s){f'; {others} other path(s) found' if others else ''}):")
    for s in finding.get("steps") or []:
        lines.append(f"  {s['step']}. {s['from']} -[{s['move']}]-> {s['to']}")
        lines.append(f"     {s['explanation']}")
    if finding.get("remediation"):
        lines.append(f"Remediation: {finding['remediation']}")
    return "\n".join(lines)
