"""Pasting rows copied from a spreadsheet into a table of the review form."""

import pytest

from curator.review.tables import parse_pasted_rows

COLUMNS = ["description", "quantity", "unit_price", "amount"]


def test_rows_by_position_in_schema_order():
    text = "Widget A\t2\t10.00\t20.00\nService, hourly\t1,5\t80\t120\n\n"
    assert parse_pasted_rows(text, COLUMNS) == [
        {"description": "Widget A", "quantity": "2", "unit_price": "10.00", "amount": "20.00"},
        {"description": "Service, hourly", "quantity": "1,5", "unit_price": "80", "amount": "120"}]


def test_a_header_places_cells_by_name_in_any_order():
    text = "Amount\tDescription\n20.00\tWidget A\n"
    assert parse_pasted_rows(text, COLUMNS) == [
        {"description": "Widget A", "quantity": "", "unit_price": "", "amount": "20.00"}]


def test_quoted_cells_with_tabs_and_short_rows():
    text = '"Widget\tA"\t2\nWidget B\n'
    rows = parse_pasted_rows(text, COLUMNS)
    assert rows[0]["description"] == "Widget\tA" and rows[0]["quantity"] == "2"
    assert rows[1] == {"description": "Widget B", "quantity": "", "unit_price": "", "amount": ""}


def test_too_many_cells_is_refused_with_the_line():
    with pytest.raises(ValueError, match="pasted row 2 has 5 cells, the table has 4 columns"):
        parse_pasted_rows("a\t1\t2\t3\nb\t1\t2\t3\t4\n", COLUMNS)
    assert parse_pasted_rows("a\t1\t2\t3\t\t\n", COLUMNS)[0]["amount"] == "3"  # trailing empty cells are fine
    assert parse_pasted_rows("  \n", COLUMNS) == []
