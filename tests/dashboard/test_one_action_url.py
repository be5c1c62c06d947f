"""A participant action has one URL, the participant's, with the action named in the POST's body.

The buttons are read from the rendered HTML as a browser reads them: where a click posts (the
button's formaction, else its form's action, else, for a picker loaded into the row's form, the
row's URL) and what it sends (the button's name and value and the fields of its form). Each
click is then posted as the browser would post it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from conference_admin.dashboard.pickers import PICKERS
from conference_admin.dashboard.views import ACTIONS

from .conftest import BILLING, ESCALATION, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}
# A per-action path, `.../participants/<CA>/<action>/`, anywhere in a page.
OLD_PATH = re.compile(r"/participants/CA[0-9a-f]{32}/(" + "|".join(re.escape(a) for a in ACTIONS) + ")/")


@dataclass
class Form:
    url: str
    fields: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Button:
    label: str
    form: Form
    formaction: str | None
    name: str | None
    value: str

    @property
    def url(self) -> str:
        return self.formaction if self.formaction is not None else self.form.url

    @property
    def data(self) -> dict[str, str]:
        sent = dict(self.form.fields)
        if self.name:
            sent[self.name] = self.value
        return sent


class Buttons(HTMLParser):
    """Every button of a page or fragment; a fragment's loose fields and buttons belong to the
    form it is loaded into (`outer`)."""

    def __init__(self, html: str, outer: str = "") -> None:
        super().__init__()
        self.html = html
        self.outer = Form(outer)
        self.forms = [self.outer]
        self.found: list[Button] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", "")))
        elif tag == "input" and a.get("type") == "hidden":
            self.forms[-1].fields.append((a.get("name", ""), a.get("value", "")))
        elif tag == "button":
            self.found.append(
                Button(a.get("aria-label", ""), self.forms[-1], a.get("formaction"), a.get("name"), a.get("value", ""))
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and len(self.forms) > 1:
            self.forms.pop()

    def labelled(self, label: str) -> Button:
        (button,) = [b for b in self.found if b.label == label]
        return button

    def actions(self) -> list[Button]:
        """The buttons that perform a participant action: they or their form name one."""
        return [b for b in self.found if "action" in b.data and b.formaction is None or b.name == "action"]


def participant_url(demo, conference: str, label: str) -> str:
    return reverse("participant", args=[demo.sid(conference), demo.call_sid(conference, label)])


def click(client, button: Button, **extra):
    return client.post(button.url, button.data, **extra)


@pytest.mark.parametrize(("conference", "label"), [(BILLING, "agent:alice"), (ESCALATION, "agent:carol")])
def test_every_action_button_posts_to_the_participant_url(supervisor_client, demo, seen, conference, label):
    page = seen(conference).content.decode()
    url = participant_url(demo, conference, label)
    rendered = {"conference page": Buttons(page)}
    rendered["participant page"] = Buttons(supervisor_client.get(url).content.decode())
    for picker in PICKERS:
        answer = supervisor_client.get(url, {"picker": picker}, **HTMX)
        if answer.status_code == 200:  # the hold picker is only for someone whose exit ends the conference
            rendered[f"{picker} picker"] = Buttons(answer.content.decode(), outer=url)
    assert "hold picker" in rendered or conference != BILLING
    for where, buttons in rendered.items():
        assert not OLD_PATH.search(buttons.html), where
        acting = [b for b in buttons.actions() if b.url == url or label in b.label]
        assert acting, where
        for button in acting:
            assert button.url == url, (where, button)
            assert button.data["action"].partition("?")[0] in ACTIONS, (where, button)
    row = [b for b in rendered["conference page"].actions() if b.form.url == url]
    assert row and all(b.url == url for b in row)


def test_beep_on_exit_on_and_off_post_to_the_participant_url(supervisor_client, demo, seen):
    seen(ESCALATION)
    url = participant_url(demo, ESCALATION, "agent:dave")
    more = Buttons(supervisor_client.get(url, {"picker": "more"}, **HTMX).content.decode(), outer=url)
    for label, expected in (("Beep on exit on for agent:dave", True), ("Beep on exit off for agent:dave", False)):
        button = more.labelled(label)
        assert button.url == url and button.name == "action"
        response = click(supervisor_client, button, **HTMX)
        assert response.status_code == 200 and "Updated beep-on-exit for agent:dave." in response["HX-Trigger"]
        assert demo.participant(ESCALATION, "agent:dave").beep_on_exit is expected


def test_hold_anyway_in_the_picker_posts_to_the_participant_url(supervisor_client, demo, seen):
    seen(BILLING)
    url = participant_url(demo, BILLING, "agent:alice")
    picker = Buttons(supervisor_client.get(url, {"picker": "hold"}, **HTMX).content.decode(), outer=url)
    button = picker.labelled("Hold agent:alice anyway")
    assert button.url == url and button.data == {"action": "hold", "confirm": "anyway"}
    demo.simulator.reset_request_log()
    response = click(supervisor_client, button, **HTMX)
    assert response.status_code == 200 and "agent:alice is on hold." in response["HX-Trigger"]
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateParticipant"]
    assert demo.participant(BILLING, "agent:alice").hold is True


def test_hold_anyway_on_the_confirm_page_posts_to_the_participant_url(supervisor_client, demo, seen):
    seen(BILLING)
    url = participant_url(demo, BILLING, "agent:alice")
    asked = supervisor_client.post(url, {"action": "hold"})  # without JavaScript: a page asks first
    assert asked.status_code == 200 and "Hold agent:alice?" in asked.content.decode()
    page = Buttons(asked.content.decode())
    assert not OLD_PATH.search(page.html)
    button = page.labelled("Hold agent:alice anyway")
    assert button.url == url and button.data["action"] == "hold" and button.data["confirm"] == "anyway"
    response = click(supervisor_client, button)
    assert response.status_code == 302 and response["Location"] == reverse(
        "conference-detail", args=[demo.sid(BILLING)]
    )
    assert demo.participant(BILLING, "agent:alice").hold is True


@pytest.mark.parametrize("htmx", [True, False])
def test_move_anyway_posts_to_the_participant_url(supervisor_client, demo, seen, htmx):
    seen(BILLING)
    url = participant_url(demo, BILLING, "agent:alice")
    extra = HTMX if htmx else {}
    asked = supervisor_client.post(url, {"action": "move", "move_new_room": "Side"}, **extra)
    assert asked.status_code == 200 and "Move anyway" in asked.content.decode()
    confirm = Buttons(asked.content.decode())
    assert not OLD_PATH.search(confirm.html)
    button = confirm.labelled("Move anyway")
    assert button.url == url
    sent = {key: value for key, value in button.data.items() if key != "csrfmiddlewaretoken"}
    assert sent == {"action": "move", "confirm": "anyway", "move_new_room": "Side"}
    demo.simulator.reset_request_log()
    done = click(supervisor_client, button, **extra)
    assert done.status_code == (200 if htmx else 302)
    assert [r.operation for r in upstream(demo.simulator)] == ["UpdateCall"]
    sim = demo.simulator
    side = next(c.sid for c in sim.list_conferences(sim.account_sid) if c.friendly_name == "Side")
    assert sim.fetch_participant(sim.account_sid, side, "agent:alice").status == "connected"


def test_a_post_naming_two_actions_is_refused_and_sends_nothing(supervisor_client, demo, seen):
    """The safe hold's picker names "hold" in a field of the row's form: were it still in the
    form when another button is pressed, neither is guessed."""
    seen(BILLING)
    url = participant_url(demo, BILLING, "agent:alice")
    response = supervisor_client.post(url, {"action": ["mute", "hold"], "confirm": "anyway"}, **HTMX)
    assert response.status_code == 400
    assert upstream(demo.simulator) == []
    alice = demo.participant(BILLING, "agent:alice")
    assert (alice.muted, alice.hold) == (False, False)
