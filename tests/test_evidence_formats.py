"""Values printed the way real European invoices print them (public sample invoices, not ours):
month names in other languages, day-month-year with dashes, amounts grouped with spaces or
apostrophes, VAT ids and IBANs printed in groups."""

from __future__ import annotations

import pytest

from curator.evidence import document_evidence, either_way_dates, support
from curator.normalize import parse_date

PAGE = """Rechnung Nr. 2014-117 vom 7. Mai 2014
Leverdatum 29 maart 2014 - Date de facture : 02 Juillet 2015
Fecha: 3 de marzo de 2019 - Data: 12 settembre 2018
Due 20-10-2015 Paid 8-9-2022
N° TVA : FR 604 219 388 61   IBAN DE89 3704 0044 0532 0130 00
Total TTC 1 234,56 EUR   Betrag CHF 1'234.50   Subtotal 12 500.00"""


@pytest.mark.parametrize("printed, value", [
    ("7. Mai 2014", "2014-05-07"), ("29 maart 2014", "2014-03-29"), ("02 Juillet 2015", "2015-07-02"),
    ("3 de marzo de 2019", "2019-03-03"), ("12 settembre 2018", "2018-09-12"), ("20-10-2015", "2015-10-20"),
    ("March 15, 2019", "2019-03-15"), ("15.03.2019", "2019-03-15")])
def test_dates_in_the_languages_of_european_erps(printed, value):
    assert parse_date(printed).isoformat() == value


def test_values_are_found_on_the_page_in_any_format():
    evidence = document_evidence(PAGE)
    for value in ("2014-05-07", "2014-03-29", "2015-07-02", "2019-03-03", "2018-09-12", "2015-10-20"):
        assert support(value, "date", evidence) == 1.0, value
    # The document writes the day first (20-10-2015), so 8-9-2022 is the 8th of September.
    assert support("2022-09-08", "date", evidence) == 1.0
    assert support("2022-08-09", "date", evidence) == 0.0
    for amount in (1234.56, 1234.5, 12500):
        assert support(amount, "amount", evidence) == 1.0, amount
    # Printed in groups, compact in the ERP: the same id (checksums checked by python-stdnum).
    assert support("FR60421938861", "text", evidence) == 1.0
    assert support("DE89370400440532013000", "text", evidence) == 1.0
    assert support("FR60421938862", "text", evidence) < 0.9  # one digit off: not the same id
    assert "FR60421938862" not in evidence.checked_ids


def test_either_way_dates_follow_the_document_or_keep_both():
    assert [d.isoformat() for d in either_way_dates("01/02/2019 and 10/20/2019")] == ["2019-01-02", "2019-10-20"]
    assert [d.isoformat() for d in either_way_dates("01/02/2019 and 20/10/2019")] == ["2019-02-01", "2019-10-20"]
    assert sorted(d.isoformat() for d in either_way_dates("01/02/2019")) == ["2019-01-02", "2019-02-01"]


def test_words_ocr_glued_together_are_still_found_but_a_wrong_number_is_not():
    page = document_evidence("CuratorDemo.ManufacturingGmbH\nWerkstraβe12,70173Stuttgart\n"
                             "Sp:z0.o.-RuedelaPaix123,30-001Krakow.VATIDPL658157897\nTotal 3.984,60PLN")
    assert support("Curator Demo Manufacturing GmbH", "text", page) >= 0.9
    assert support("Curator Demo MANUFACTURING GmbH", "text", page) < 0.9  # glued, but not as printed
    assert support("Werkstraße 12, 70173 Stuttgart", "text", page) >= 0.9  # ß read as a Greek beta
    assert support("Werkstraße 12, 70174 Stuttgart", "text", page) < 0.9  # another post code
    assert support("PL658157897", "text", page) == 1.0  # the VAT id inside "VATIDPL658157897"
    assert support(3984.60, "amount", page) == 1.0  # the currency code glued to the amount
