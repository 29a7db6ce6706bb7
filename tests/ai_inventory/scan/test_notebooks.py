import json

from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.ai_inventory.scan.notebooks import code_view


def test_cells_decode_in_place():
    notebook = {
        "cells": [
            {"cell_type": "code", "source": ["import openai\n", 'm = "gpt-4o"  # \\"quoted\\"\n']},
        ],
        "metadata": {"kernelspec": {"name": "python3"}},
    }
    text = json.dumps(notebook, indent=1)
    view = code_view(text).split("\n")
    assert len(view) == len(text.split("\n"))
    assert view[5] == "import openai"
    assert view[6] == 'm = "gpt-4o"  # \\"quoted\\"'
    assert view[0] == view[1] == ""  # structure lines are blanked


def test_malformed_escapes_are_dropped():
    assert code_view('  "bad \\x escape",\n  "ok"') == "\nok"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_line_count_is_preserved(text):
    assert code_view(text).count("\n") == text.count("\n")


def test_crlf_notebooks():
    assert code_view('{\r\n "import anthropic\\n",\r\n}') == "\nimport anthropic\n"
