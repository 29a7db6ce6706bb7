"""A small English vocabulary used to judge whether a candidate decoding reads as language.

Ciphers such as ROT13 and Atbash turn any Latin text into other Latin text, so "did it decode?"
has no yes/no answer; comparing the share of known words before and after does. The list holds
frequent function words plus the vocabulary of attacks and active content.
"""

from __future__ import annotations

import re

WORDS = frozenset(
    """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers him his how i if in into is it its itself just me more most my
no nor not now of off on once only or other our out over own same she should so some such than
that the their them then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself
say tell write print repeat show give make take use like know need want please now new every
ignore previous instructions instruction prompt system secret password forget disregard rules
reveal above following user assistant message output answer respond response decode translate
script alert javascript onerror onload img src iframe document cookie window eval http https
www com html body div style expression svg href
hate kill humans human people haha pwned hello world test data summary conversation
""".split()
)

_WORD = re.compile(r"[A-Za-z]{1,24}")


def english_ratio(text: str) -> float:
    """Share of alphabetic tokens in ``text`` that are known English words (0 when none)."""
    tokens = _WORD.findall(text[:4000])
    if not tokens:
        return 0.0
    return sum(1 for t in tokens if t.lower() in WORDS) / len(tokens)
