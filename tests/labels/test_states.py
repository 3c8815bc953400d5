"""Property tests over the field state machine, and the answer a label gives over a field set."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from curator.labels.fields import ABSENT, UNKNOWN, VALUE, FieldEntry, state_of
from curator.labels.fieldset import check_fields, field_state, project_answer, project_schema
from curator.labels.paths import leaf_paths
from curator.review.editing import merge_human_values
from curator.schemas import builtin_schema
from datetime import datetime, timezone

SOURCES = st.sampled_from(["erp", "rule", "teacher", "human"])
VALUES = st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 5), st.booleans())
LEGACY = st.fixed_dictionaries({"value": VALUES, "source": SOURCES})  # as earlier releases wrote them
EXPLICIT = st.one_of(  # as this release writes them: the value agrees with the state
    st.fixed_dictionaries({"state": st.just(VALUE), "value": VALUES.filter(lambda v: v is not None),
                           "source": SOURCES}),
    st.fixed_dictionaries({"state": st.just(ABSENT), "value": st.none(), "source": SOURCES}),
    st.fixed_dictionaries({"state": st.just(UNKNOWN), "value": VALUES, "source": SOURCES}))
ENTRIES = st.one_of(LEGACY, EXPLICIT)
W2 = builtin_schema("w2")
LEAVES = [leaf for leaf in leaf_paths(W2) if "[]" not in leaf]


@given(ENTRIES)
def test_a_legacy_or_explicit_entry_has_exactly_one_state(entry):
    state = state_of(entry)
    assert state in (VALUE, ABSENT, UNKNOWN)
    if "state" in entry:
        assert state == entry["state"]
    elif entry["value"] is not None:
        assert state == VALUE
    else:  # a null is a decision only when a person made it
        assert state == (ABSENT if entry["source"] == "human" else UNKNOWN)
    assert FieldEntry.read(entry).state == state


@given(st.dictionaries(st.sampled_from(LEAVES), ENTRIES, max_size=len(LEAVES)), st.data())
@settings(max_examples=150)
def test_an_answer_is_written_only_when_every_field_of_the_set_is_decided(fields, data):
    field_set = check_fields(W2, data.draw(st.lists(st.sampled_from(LEAVES), min_size=1, unique=True)))
    answer, unknown = project_answer(W2, field_set, fields)
    states = {leaf: field_state(fields, leaf) for leaf in field_set}
    assert sorted(unknown) == sorted(leaf for leaf, state in states.items() if state == UNKNOWN)
    if unknown:
        assert answer is None  # never written: null would mean "not on the document"
        return
    for leaf in field_set:
        node = answer
        for part in leaf.split("."):
            node = node[part]
        expected = fields[leaf]["value"] if states[leaf] == VALUE else None
        assert node == expected  # a value as decided; null only where decided absent
    assert set(answer) == set(project_schema(W2, field_set)["properties"])


@given(st.dictionaries(st.sampled_from(LEAVES), ENTRIES, max_size=6),
       st.dictionaries(st.sampled_from(LEAVES), VALUES, max_size=6))
def test_a_persons_save_decides_what_it_touches_and_nothing_else(fields, changes):
    before = {path: dict(entry) for path, entry in fields.items()}
    merge_human_values(fields, changes, [], "rita", datetime(2026, 1, 1, tzinfo=timezone.utc))
    for path, entry in fields.items():
        if path in changes:
            assert state_of(entry) == (VALUE if changes[path] is not None else ABSENT)
        else:
            assert state_of(entry) == state_of(before[path])


def test_lists_unknown_until_rows_or_a_decision():
    schema = builtin_schema("invoice")
    assert field_state({}, "line_items[]") == UNKNOWN
    assert field_state({"line_items": {"state": ABSENT, "value": [], "source": "human"}}, "line_items[]") == ABSENT
    rows = {"line_items[0].description": {"state": VALUE, "value": "bolts", "source": "teacher"},
            "line_items[0].amount": {"state": UNKNOWN, "value": None, "source": "teacher"}}
    assert field_state(rows, "line_items[]") == VALUE
    assert field_state(rows, "line_items[].description") == VALUE
    assert field_state(rows, "line_items[].amount") == UNKNOWN
    answer, unknown = project_answer(schema, check_fields(schema, ["line_items[]", "line_items[].description"]),
                                     rows)
    assert answer == {"line_items": [{"description": "bolts"}]} and unknown == []
    assert project_answer(schema, check_fields(schema, ["line_items"]), rows)[1] == [
        "line_items[].amount", "line_items[].quantity", "line_items[].unit_price"]


def test_an_entry_whose_value_contradicts_its_state_is_refused():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="needs a value"):
        FieldEntry.read({"state": VALUE, "value": None, "source": "erp"})
    with pytest.raises(ValidationError, match="holds no value"):
        FieldEntry.read({"state": ABSENT, "value": "INV-1", "source": "human"})
