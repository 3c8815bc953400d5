"""Declarative mappings: transforms, joins, array rows, gaps and clear errors."""

from __future__ import annotations

import jsonschema
import pytest

from curator.mapping.rules import MappingError, apply_mapping, load_mapping, parse_mapping
from curator.labels.paths import build_target, gaps
from curator.schemas import builtin_schema

RBKP = {"BUKRS": "1000", "BELNR": "5105600001", "GJAHR": "2019", "XBLNR": "RE-2019-00042", "LIFNR": "0000100001",
        "BLDAT": "20190315", "BUDAT": "20190318", "WAERS": "EUR", "RMWWR": "1.190,00", "WMWST1": "190,00", "EBELN": ""}
LFA1 = {"LIFNR": "0000100001", "NAME1": "Nord Technik GmbH", "STRAS": "Hauptstraße 1", "PSTLZ": "10115",
        "ORT01": "Berlin", "LAND1": "DE", "STCEG": "DE123456789"}


def test_invoice_mapping_with_join_and_transforms():
    mapping = load_mapping("invoice-sap")
    result = apply_mapping(mapping, RBKP, {"vendor": LFA1})
    assert result.errors == []
    values = result.values
    assert values["invoice_date"] == "2019-03-15"
    assert values["total"] == 1190.0 and values["tax"] == 190.0 and values["subtotal"] == 1000.0
    assert values["seller_address"] == "Hauptstraße 1, 10115 Berlin"
    assert values["buyer_name"] == "Curator Demo Manufacturing GmbH"
    assert values["po_number"] is None
    assert result.provenance["invoice_number"] == "erp" and result.provenance["buyer_name"] == "rule"
    target = build_target(mapping.schema, values)
    jsonschema.validate(target, mapping.schema)
    assert set(target) == set(mapping.schema["properties"])
    assert gaps(mapping.schema, values) == ["discount", "due_date", "line_items"]


def test_missing_joined_record_leaves_fields_unknown():
    result = apply_mapping(load_mapping("invoice-sap"), RBKP, {"vendor": None})
    assert result.values["seller_name"] is None and not result.errors


def test_trailing_minus_credit_note():
    result = apply_mapping(load_mapping("invoice-sap"), {**RBKP, "RMWWR": "1.190,00-", "WMWST1": "190,00-"},
                           {"vendor": LFA1})
    assert result.values["total"] == -1190.0 and result.values["subtotal"] == -1000.0


def test_w2_second_state_row_only_when_present():
    mapping = load_mapping("w2-payroll")
    row = {"EMPLOYEE_ID": "E1", "TAX_YEAR": "2018", "SSN": "901-23-4567", "FIRST_NAME": "Ann", "MIDDLE_INITIAL": "",
           "LAST_NAME": "Lee", "STREET": "1 Main St", "CITY": "Austin", "STATE": "TX", "ZIP": "78701",
           "EMPLOYER_EIN": "12-3456789", "EMPLOYER_NAME": "Acme Inc.", "GROSS_TAXABLE_WAGES": "50000.00",
           "FED_WITHHOLDING": "5000.00", "SS_WAGES": "50000.00", "SS_TAX": "3100.00", "MEDICARE_WAGES": "50000.00",
           "MEDICARE_TAX": "725.00", "DEP_CARE": "", "K401_DEFERRAL": "", "RETIREMENT_PLAN": "N",
           "STATE1": "CO", "STATE1_ID": "123", "STATE1_WAGES": "50000.00", "STATE1_TAX": "1000.00",
           "STATE2": "", "STATE2_ID": "", "STATE2_WAGES": "", "STATE2_TAX": ""}
    result = apply_mapping(mapping, row, {})
    assert result.values["employee.name"] == "Ann Lee"
    assert result.values["taxYear"] == 2018 and result.values["benefits.retirementPlan"] is False
    assert "multiStateEmployment[0].state" in result.values
    assert not any(path.startswith("multiStateEmployment[1]") for path in result.values)
    target = build_target(mapping.schema, result.values)
    assert len(target["multiStateEmployment"]) == 1 and target["multiStateEmployment"][0]["localWages"] is None
    jsonschema.validate(target, builtin_schema("w2"))
    assert "multiStateEmployment[0].localWages" in gaps(mapping.schema, result.values)


def test_transform_error_names_field_column_and_transform():
    result = apply_mapping(load_mapping("invoice-sap"), {**RBKP, "BLDAT": "15/03/19"}, {"vendor": LFA1})
    assert result.errors == [
        "field invoice_date: transform 'date' (%Y%m%d) cannot use column(s) BLDAT: "
        "time data '15/03/19' does not match format '%Y%m%d'"
    ]
    assert "invoice_date" not in result.values


def test_missing_column_is_named():
    row = {k: v for k, v in RBKP.items() if k != "XBLNR"}
    result = apply_mapping(load_mapping("invoice-sap"), row, {"vendor": LFA1})
    assert result.errors == ["field invoice_number: column 'XBLNR' is not in the record"]


@pytest.mark.parametrize(
    "fields,message",
    [({"nonsense": "X"}, "not in schema"), ({"total": {"column": "A", "transform": "magic"}}, "unknown transform"),
     ({"total": {"transform": "decimal"}}, "no column")],
)
def test_bad_mapping_files(fields, message):
    with pytest.raises(MappingError, match=message):
        parse_mapping({"schema": "invoice", "record_source": "rbkp", "fields": fields})


def test_unknown_mapping_lists_the_built_ins():
    with pytest.raises(MappingError, match="invoice-sap"):
        load_mapping("nope")


def test_list_fields_from_an_expanded_navigation_property():
    """SAP's invoice items come expanded ($expand=to_SuplrInvcItemPurOrdRef): each row an element."""
    from curator.mapping.rules import apply_mapping, parse_mapping

    mapping = parse_mapping({
        "schema": "invoice", "record_source": "a_supplierinvoice",
        "sources": {"a_supplierinvoice": {"key": ["SupplierInvoice", "FiscalYear"]}},
        "fields": {
            "invoice_number": "SupplierInvoiceIDByInvcgParty",
            "line_items[].amount": {"column": "to_SuplrInvcItemPurOrdRef[].SupplierInvoiceItemAmount",
                                    "transform": "decimal", "empty": "absent"},
            "line_items[].quantity": {"column": "to_SuplrInvcItemPurOrdRef[].QuantityInPurchaseOrderUnit",
                                      "transform": "decimal"},
            "line_items[].description": "to_SuplrInvcItemPurOrdRef[].PurchaseOrderItemText",
        }})
    record = {"SupplierInvoiceIDByInvcgParty": "INV-7", "to_SuplrInvcItemPurOrdRef": [
        {"SupplierInvoiceItemAmount": "100.000", "QuantityInPurchaseOrderUnit": "2.000", "PurchaseOrderItemText": "Bolts"},
        {"SupplierInvoiceItemAmount": "35.940", "QuantityInPurchaseOrderUnit": "6.000", "PurchaseOrderItemText": "Ties"}]}
    mapped = apply_mapping(mapping, record, {})
    assert mapped.errors == []
    assert mapped.values["line_items[1].amount"] == 35.94 and mapped.values["line_items[0].description"] == "Bolts"
    assert mapped.values["line_items[1].quantity"] == 6.0 and mapped.provenance["line_items[0].amount"] == "erp"
    empty = apply_mapping(mapping, {**record, "to_SuplrInvcItemPurOrdRef": []}, {})
    assert empty.values == {"invoice_number": "INV-7", "line_items": None}
    assert mapping.rule_for("line_items").options["empty"] == "absent"  # SAP has no items: none are printed
    missing = apply_mapping(mapping, {"SupplierInvoiceIDByInvcgParty": "INV-8"}, {})
    assert any("$expand=to_SuplrInvcItemPurOrdRef" in e for e in missing.errors)
