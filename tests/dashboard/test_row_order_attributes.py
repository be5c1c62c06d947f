"""The row says what the page orders and groups it by: its role (the one classifier) and how
urgently it needs a supervisor (ParticipantRow.rank), as data attributes."""

from __future__ import annotations

from conference_admin.dashboard.rows import ATTENTION_RANKS

from .conftest import ESCALATION, SALES
from .test_row_form import row_html


def test_rows_carry_role_and_rank(supervisor_client, demo, seen):
    sales = seen(SALES).content.decode()
    dana = row_html(sales, demo.call_sid(SALES, "customer:Dana Whitfield"))  # on hold
    bob = row_html(sales, demo.call_sid(SALES, "agent:bob"))
    assert 'data-role="customer" data-rank="2"' in dana
    assert f'data-role="agent" data-rank="{ATTENTION_RANKS}"' in bob

    escalation = seen(ESCALATION).content.decode()
    acme = row_html(escalation, demo.call_sid(ESCALATION, "customer:Acme on-call"))  # ringing
    dave = row_html(escalation, demo.call_sid(ESCALATION, "agent:dave"))  # muted: no attention needed
    assert 'data-rank="1"' in acme
    assert f'data-rank="{ATTENTION_RANKS}"' in dave


def test_the_page_knows_which_ranks_need_attention(supervisor_client, demo, seen):
    html = seen(SALES).content.decode()
    assert f'data-attention-below="{ATTENTION_RANKS}"' in html
    assert html.count('<tr class="group-row" data-group=') == 3  # customers, agents, supervisors
