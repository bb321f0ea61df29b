"""The vendor spec catalog: Salesforce, HubSpot, Zendesk and Qualtrics exports as those tools write them.

The samples follow each tool's export format (header names, date and boolean writing, a UTF-8
byte-order mark, label variants); the SAP specs are proven on real data in test_sap_bikes.py.
"""

from __future__ import annotations

import codecs
import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from orchestration.ingest import load_export_days
from orchestration.ingest.specs import CATALOG_DIR, load_catalog, load_specs
from tests.ingest.helpers import counts

DAY = date(2024, 3, 1)
CATALOG = {spec.table_name: spec for spec in load_catalog()}


def deliver(landing, spec, content: str | bytes, name: str) -> None:
    folder = landing / spec.source / spec.object / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())


def test_the_catalog_covers_the_vendors_and_is_not_loaded_by_default() -> None:
    assert sorted({spec.source for spec in CATALOG.values()}) == ["hubspot", "qualtrics", "salesforce", "sap", "zendesk"]
    assert {"salesforce__opportunities", "hubspot__deals", "hubspot__companies", "sap__sales_orders",
            "qualtrics__responses", "zendesk__tickets"} <= set(CATALOG)
    assert not set(CATALOG) & {spec.table_name for spec in load_specs()}
    assert load_specs(CATALOG_DIR) == list(CATALOG.values())


@pytest.mark.parametrize("table", sorted(CATALOG))
def test_every_catalog_spec_keys_on_required_columns(table: str) -> None:
    spec = CATALOG[table]
    assert spec.primary_key and all(spec.column(key).required for key in spec.primary_key)
    assert spec.description and spec.path.read_text().startswith("#")  # says which export it reads


def test_salesforce_opportunities_from_data_loader_and_data_export(conn, landing) -> None:
    spec = CATALOG["salesforce__opportunities"]
    header = ("Id,IsDeleted,AccountId,Name,StageName,Amount,Probability,CloseDate,Type,LeadSource,IsClosed,IsWon,"
              "ForecastCategoryName,OwnerId,CreatedDate,LastModifiedDate,Region__c")
    deliver(landing, spec, "\n".join([
        header,
        '0061x00000AbCdEAA1,false,0011x00000XyZaBAA2,"Acme, 40 bikes",Closed Won,52000.00,100,2024-02-28,New Business,Web,'
        "true,true,Closed,0051x00000QwErTAA3,2024-01-05T09:15:00.000Z,2024-02-28T16:42:10.000Z,EMEA",
        "0061x00000AbCdFAA1,0,0011x00000XyZaCAA2,Bolt renewal,Negotiation/Review,,75,2024-04-15,Existing Business,,"
        "0,0,Commit,0051x00000QwErTAA3,2024-02-01T08:00:00.000+0000,2024-03-01T07:59:59.000+0000,APJ",
    ]) + "\n", "Opportunity.csv")
    result = load_export_days(conn, spec, landing, DAY, DAY)
    assert counts(result) == [("loaded", 2, 2, 0)]
    assert result.files[0].notes == [
        'optional column(s) missing, loaded as empty: "CurrencyIsoCode" (for currency_code)',
        '1 column(s) not in the spec, not loaded: "Region__c"',
    ]
    assert conn.execute(
        "select opportunity_name, amount, probability, close_date, is_won, is_deleted, last_modified_at "
        "from raw.salesforce__opportunities order by opportunity_id"
    ).fetchall() == [
        ("Acme, 40 bikes", Decimal("52000.00"), 100.0, date(2024, 2, 28), True, False, datetime(2024, 2, 28, 16, 42, 10)),
        ("Bolt renewal", None, 75.0, date(2024, 4, 15), False, False, datetime(2024, 3, 1, 7, 59, 59)),
    ]


def test_salesforce_accounts_with_missing_optional_fields(conn, landing) -> None:
    spec = CATALOG["salesforce__accounts"]
    deliver(landing, spec, "\n".join([
        "Id,Name,Type,Industry,BillingCity,BillingCountry,AnnualRevenue,NumberOfEmployees,OwnerId,CreatedDate,LastModifiedDate",
        "0011x00000XyZaBAA2,Acme Cycles,Customer,Retail,Lyon,France,1200000,45,0051x00000QwErTAA3,2023-06-01T10:00:00.000Z,2024-02-01T10:00:00.000Z",
    ]) + "\n", "Account.csv")
    result = load_export_days(conn, spec, landing, DAY, DAY)
    assert counts(result) == [("loaded", 1, 1, 0)]
    assert result.files[0].notes[0].startswith('optional column(s) missing, loaded as empty: "ParentId" (for parent_account_id)')
    assert conn.execute("select account_name, annual_revenue, employee_count, website from raw.salesforce__accounts").fetchall() == [
        ("Acme Cycles", Decimal("1200000.00"), 45, None)
    ]


def test_hubspot_deals_with_a_bom_and_label_variants(conn, landing) -> None:
    spec = CATALOG["hubspot__deals"]
    text = "\n".join([
        "Record ID,Deal Name,Pipeline,deal stage,Amount,Close Date,Deal Owner,Associated Company IDs (Primary),Create Date,Last Modified Date",
        "15032647521,Acme - 40 bikes,Sales Pipeline,Closed won,52000,2024-02-28 17:00,Jane Rep,9876543210,2024-01-05 09:15,2024-02-28 16:42",
        '15032647522,"Bolt, renewal",Sales Pipeline,Contract sent,,2024-04-15 12:00,Jane Rep,,2024-02-01 08:00:30,2024-03-01 07:59',
        "15032647523,Broken,Sales Pipeline,Appointment scheduled,-100,2024-04-15 12:00,,,2024-02-01 08:00,2024-03-01 07:59",
    ]) + "\n"
    deliver(landing, spec, codecs.BOM_UTF8 + text.encode(), "hubspot-crm-exports-all-deals-2024-03-01.csv")
    result = load_export_days(conn, spec, landing, DAY, DAY)
    assert counts(result) == [("loaded", 3, 2, 1)]
    assert result.files[0].notes == [
        'matched header(s) ignoring case and spaces: "deal stage" for "Deal Stage"',
        'optional column(s) missing, loaded as empty: "Currency" (for currency_code), "Deal Type" (for deal_type), '
        '"Associated Company (Primary)" (for company_name), "Is Closed Won" (for is_closed_won)'
    ]
    assert conn.execute(
        "select deal_id, deal_name, amount, close_date, owner, company_id, created_at from raw.hubspot__deals order by deal_id"
    ).fetchall() == [
        ("15032647521", "Acme - 40 bikes", Decimal("52000.00"), date(2024, 2, 28), "Jane Rep", "9876543210", datetime(2024, 1, 5, 9, 15)),
        ("15032647522", "Bolt, renewal", None, date(2024, 4, 15), "Jane Rep", None, datetime(2024, 2, 1, 8, 0, 30)),
    ]
    assert conn.execute("select line_number, reason from raw._rejected_rows").fetchall() == [
        (4, "column \"amount\" (export column \"Amount\"): expected a value of at least 0, got '-100'")
    ]


def test_hubspot_companies(conn, landing) -> None:
    spec = CATALOG["hubspot__companies"]
    deliver(landing, spec, "\n".join([
        "Record ID,Company name,Company Domain Name,Industry,City,Country/Region,Number of Employees,Annual Revenue,Company owner,Create Date,Last Modified Date",
        "9876543210,Acme Cycles,acme-cycles.fr,Retail,Lyon,France,45,1200000,Jane Rep,2023-06-01 10:00,2024-02-01 10:00",
    ]) + "\n", "companies.csv")
    assert counts(load_export_days(conn, spec, landing, DAY, DAY)) == [("loaded", 1, 1, 0)]
    assert conn.execute("select company_id, domain, employee_count, country from raw.hubspot__companies").fetchall() == [
        ("9876543210", "acme-cycles.fr", 45, "France")
    ]


def test_zendesk_tickets_with_offsets_tags_and_an_unknown_status(conn, landing) -> None:
    spec = CATALOG["zendesk__tickets"]
    deliver(landing, spec, "\n".join([
        "Id,Requester,Requester id,Requester email,Organization,Assignee,Group,Subject,Tags,Status,Priority,Via,Ticket type,Created at,Updated at,Solved at",
        '4711,Jo Buyer,3811,jo@acme-cycles.fr,Acme Cycles,Sam Agent,Support,"Wheel arrived bent, need ""replacement""",wheels shipping_damage,Solved,High,Mail,Problem,2024-02-27 09:00:00 +0100,2024-02-28 12:30:00 +0100,2024-02-28 12:30:00 +0100',
        "4712,Al Buyer,3812,al@bolt.de,Bolt,,,Invoice copy,,Escalated,Low,Web form,Question,2024-02-29 23:30:00,2024-03-01 08:00:00,",
    ]) + "\n", "tickets.csv")
    result = load_export_days(conn, spec, landing, DAY, DAY)
    assert counts(result) == [("loaded", 2, 2, 0)]
    assert conn.execute("select ticket_id, subject, tags, status, created_at, solved_at from raw.zendesk__tickets order by 1").fetchall() == [
        (4711, 'Wheel arrived bent, need "replacement"', "wheels shipping_damage", "Solved", datetime(2024, 2, 27, 8, 0), datetime(2024, 2, 28, 11, 30)),
        (4712, "Invoice copy", None, "Escalated", datetime(2024, 2, 29, 23, 30), None),
    ]
    assert "1 record(s) break a rule and were kept (on_rule_violation: warn), e.g. column \"status\"" in result.files[0].notes[-1]


def test_qualtrics_json_export(conn, landing) -> None:
    spec = CATALOG["qualtrics__responses"]
    document = {"responses": [
        {"responseId": "R_1a2B3c", "values": {"surveyId": "SV_x", "startDate": "2024-02-29T10:00:00Z", "endDate": "2024-02-29T10:03:12Z",
                                             "recordedDate": "2024-02-29T10:03:12.345Z", "finished": 1, "progress": 100,
                                             "externalDataReference": "CUST-0042", "QID1": 9, "QID2_TEXT": "Fast delivery, great bikes"},
         "labels": {"finished": "True"}, "displayedFields": ["QID1", "QID2_TEXT"], "displayedValues": {}},
        {"responseId": "R_4d5E6f", "values": {"recordedDate": "2024-02-29T11:00:00Z", "finished": 0, "progress": 40, "QID1": 14},
         "labels": {}, "displayedFields": [], "displayedValues": {}},
    ]}
    deliver(landing, spec, json.dumps(document, ensure_ascii=False), "SV_x_responses.json")
    result = load_export_days(conn, spec, landing, DAY, DAY)
    assert counts(result) == [("loaded", 2, 1, 1)]
    assert conn.execute("select response_id, recorded_at, finished, nps_score, comment, external_reference from raw.qualtrics__responses").fetchall() == [
        ("R_1a2B3c", datetime(2024, 2, 29, 10, 3, 12, 345000), True, 9, "Fast delivery, great bikes", "CUST-0042")
    ]
    assert conn.execute("select record_number, reason from raw._rejected_rows").fetchall() == [
        (2, "column \"nps_score\" (export column \"$.values.QID1\"): expected a value from 0 to 10, got '14'")
    ]
    assert result.files[0].notes == ['3 key(s) not in the spec, not loaded: "displayedFields", "displayedValues", "labels"']
