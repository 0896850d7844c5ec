"""A small dated archive for the UI tests: a town's bridge covered over a year by two papers, and a few other
stories, each with a title, date, source and URL."""

from __future__ import annotations

import json
from pathlib import Path

BRIDGE_QUESTION = "Who opened the Varnholm bridge?"
BRIDGE = [
    ("2021-09-14", "Varnholm gazette", "Council approves the Varnholm bridge",
     "The council of Varnholm approved plans for a bridge across the Elm river on 14 September 2021. "
     "The bridge will replace the ferry that has carried cars across the river since 1962."),
    ("2021-10-02", "River news", "Varnholm bridge contract goes to Brask and Sons",
     "The contract to build the Varnholm bridge went to the builders Brask and Sons, the council said. "
     "Work on the foundations is to begin before the winter."),
    ("2021-11-20", "Varnholm gazette", "Foundations of the Varnholm bridge laid",
     "Divers and cranes laid the foundations of the Varnholm bridge in the Elm river this week. "
     "The river was closed to boats for three days."),
    ("2022-01-11", "River news", "Frost halts work on the Varnholm bridge",
     "Hard frost halted work on the Varnholm bridge for two weeks in January. "
     "The builders said the delay would not move the opening date."),
    ("2022-03-08", "Varnholm gazette", "First span of the Varnholm bridge in place",
     "The first steel span of the Varnholm bridge was lifted into place on 8 March 2022. "
     "Hundreds of people watched from the river bank."),
    ("2022-05-12", "Varnholm gazette", "Mayor opens the Varnholm bridge",
     "Mayor Ilse Varga opened the Varnholm bridge on 12 May 2022 by cutting a ribbon of reeds. "
     "More than four thousand people walked across the bridge on its first day."),
    ("2022-05-13", "River news", "Crowds cross the new Varnholm bridge",
     "Crowds crossed the new Varnholm bridge on its first weekend. "
     "The old ferry made its last crossing the same day."),
    ("2022-08-30", "River news", "Varnholm bridge traffic beats forecasts",
     "Traffic on the Varnholm bridge in its first summer was twice the forecast, the council said."),
]
OTHER = [
    ("2021-12-03", "River news", "Lisbon ferry crews strike", "Ferry crews in Lisbon struck on Friday over pay."),
    ("2022-02-17", "Varnholm gazette", "Reed festival returns to Quillby",
     "The reed festival returned to Quillby after two years, with music and boat races."),
    ("2022-06-21", "Varnholm gazette", "School choir wins regional prize",
     "The Varnholm school choir won the regional prize for its summer concert."),
]


def records() -> list[dict]:
    out = []
    for i, (date, source, title, text) in enumerate(BRIDGE + OTHER):
        slug = source.lower().replace(" ", "-")
        out.append({"url": f"https://{slug}.example/{date}/{i}", "title": title, "date": date, "source": source,
                    "text": f"{text}\n\nReporting by the {source} newsroom."})
    return out


def write(path: Path, extra: list[dict] | None = None) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records() + (extra or [])))
    return path
