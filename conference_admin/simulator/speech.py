"""What simulated calls say while they are transcribed: scripted lines for customers and agents.

There is no audio in the simulator, so a transcribed call speaks from these scripts. Some lines
hold phrases a call center watches for ("cancel my account", "speak to a manager", "lawyer"),
so phrase alerts can be seen working in the demo and tested end to end. Who says what follows
the participant's label: `agent:`, `supervisor:` and `coach:` labels speak the agent's lines,
everyone else (a `customer:` label, or none) the customer's.
"""

from __future__ import annotations

CUSTOMER_LINES = (
    "Hi, I'm calling about the charge on my last bill.",
    "I was billed twice for the same month.",
    "Honestly I want to cancel my account if this isn't fixed today.",
    "Can I speak to a manager please?",
    "My account number should be on the email you sent.",
    "I've called three times already this week.",
    "If this keeps happening my lawyer will hear about it.",
    "Okay, that sounds reasonable, thank you.",
    "Could you send me that in writing?",
    "Yes, the address on file is still correct.",
)

AGENT_LINES = (
    "Thanks for calling, I can help you with that.",
    "Let me pull up your account, one moment please.",
    "I can see the duplicate charge here on the statement.",
    "I'll issue a refund for the second payment right away.",
    "You should see it back on your card within five business days.",
    "I understand, and I'm sorry for the trouble.",
    "I can transfer you to my supervisor if you'd like.",
    "Is there anything else I can help you with today?",
    "I've added a note to your account so the next agent sees it.",
    "I'll send you a confirmation email as soon as we hang up.",
)

AGENT_PREFIXES = ("agent:", "supervisor:", "coach:")


def role_of(label: str | None) -> str:
    """ "agent" for agents, supervisors and coaches; "customer" for everyone else."""
    if label and label.lower().startswith(AGENT_PREFIXES):
        return "agent"
    return "customer"


def other_role(role: str) -> str:
    return "customer" if role == "agent" else "agent"


def line(role: str, index: int) -> str:
    """The `index`-th line `role` says (the script repeats)."""
    lines = AGENT_LINES if role == "agent" else CUSTOMER_LINES
    return lines[index % len(lines)]
