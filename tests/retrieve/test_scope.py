"""Which indexed documents a question names, and every named document represented in the ranking."""

from assistant.models import DocumentInfo
from assistant.retrieve.hybrid import each_document_represented
from assistant.retrieve.scope import DocumentNames, is_policy_title


def info(doc_id: str, title: str, issuer: str | None = None) -> DocumentInfo:
    return DocumentInfo(
        id=doc_id, title=title, source="", issuing_body=issuer, n_chunks=1, content_hash="", ingested_at=""
    )


CATALOG = [
    info("act", "Regulation (EU) 2031/77 (Harbour Safety Act) — Official Journal text", "Council of Ports"),
    info("data", "Regulation (EU) 2030/12 — General Harbour Data Regulation (GHDR)"),
    info("eo", "Executive Order 16001: Safer Lighthouses for American Coasts", "The White House"),
    info("rmf", "Harbour Risk Management Framework (HRMF 2.0)", "National Institute of Tides and Moorings"),
    info("nordic", "Strategy of the Norwegian Harbour Authority", "Government of Norway"),
    info("plan", "Harbour Opportunities Action Plan"),
    info("reply", "Harbour Opportunities Action Plan: Government Response (CP 999)"),
    info("paper", "Functional consequences of salt spray on harbour lights"),  # a scientific article
]


def named(question: str) -> tuple[str, ...]:
    return DocumentNames(CATALOG).named_in(question).all


def test_documents_are_named_by_number_short_name_title_and_issuer():
    assert named("What does Executive Order 16001 require?") == ("eo",)
    assert named("What does EO 16001 say about lamps?") == ("eo",)
    assert named("Who enforces the Harbour Safety Act?") == ("act",)
    assert named("How does the GHDR define a berth?") == ("data",)
    assert named("What does Regulation 2030/12 require?") == ("data",)
    assert named("Which functions does the HRMF list?") == ("rmf",)
    assert named("What does NITM's framework say about risk?") == ("rmf",)  # the issuer's acronym
    assert named("What is in CP 999?") == ("reply",)


def test_a_title_used_as_a_common_noun_names_nothing():
    # "submit an action plan" asks for a plan; "the Harbour Opportunities Action Plan" names one.
    assert named("How long may the board take to submit a harbour opportunities action plan?") == ()
    assert named("Does EO 16001 require an harbour safety act?") == ("eo",)
    assert named("What does the Harbour Opportunities Action Plan recommend?")[0] == "plan"


def test_a_shared_phrase_names_the_document_whose_whole_title_it_is():
    assert named("What does the Harbour Opportunities Action Plan recommend?") == ("plan",)
    # Beside the shared name, the other words of a title name that document alone ...
    assert named("Where, says the government's response to the Harbour Opportunities Action Plan, ...?") == (
        "reply",
    )
    assert named("What does the Harbour Opportunities Action Plan Government Response say?") == ("reply",)
    # ... and elsewhere in the question they name it beside the plan.
    assert named(
        "What does the Harbour Opportunities Action Plan propose for berths, and when does the government's "
        "response say the first will open?"
    ) == ("plan", "reply")


def test_two_named_documents_and_places():
    assert set(named("Compare the Harbour Safety Act and EO 16001 on lighting.")) == {"act", "eo"}
    assert named("What does Norway plan for harbours?") == ("nordic",)


def test_a_place_that_qualifies_a_named_document_names_none_of_its_others():
    catalog = [
        *CATALOG,
        info("norway_plan", "Norwegian Harbour Lighting Plan 2030", "Government of Norway"),
        info("norway_rules", "Interim Rules for Harbour Drones", "Government of Norway"),
    ]
    names = DocumentNames(catalog)
    # "Norway's ... Lighting Plan" is one document; Norway names all three only when no title is named.
    found = names.named_in("What does Norway's Harbour Lighting Plan 2030 say about lamps?")
    assert found.all == ("norway_plan",) and "Norway" in found.phrases
    assert set(names.named_in("What does Norway require of harbours?").all) == {
        "nordic",
        "norway_plan",
        "norway_rules",
    }


def test_topics_and_scientific_titles_name_nothing():
    assert named("How do salt spray and harbour lights interact?") == ()
    assert named("What is a risk?") == ()
    assert not is_policy_title("Functional consequences of salt spray on harbour lights")
    assert is_policy_title("生成式人工智能服务管理暂行办法") and is_policy_title("Harbour Safety Act")


def test_every_named_document_gets_its_best_passage_first():
    fused = [("a1", 0.9), ("a2", 0.8), ("a3", 0.7), ("x1", 0.6), ("b1", 0.5), ("b2", 0.4)]
    owners = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B"}
    top = each_document_represented(fused, 3, owners)
    assert [chunk_id for chunk_id, _ in top[:2]] == ["a1", "b1"]
    assert len(top) == len(fused) and {c for c, _ in top} == {c for c, _ in fused}
    assert each_document_represented(fused, 3, {"a1": "A"}) == fused  # one document: the order stands


def test_the_words_that_named_a_document_are_reported():
    names = DocumentNames(CATALOG)
    assert names.named_in("Who enforces the Harbour Safety Act?").phrases == ("harbour safety act",)
    assert names.named_in("What does EO 16001 say about lamps?").phrases == ("16001",)
    assert names.named_in("What does Norway plan for harbours?").phrases == ("Norway",)
    assert names.named_in("How do salt spray and harbour lights interact?").phrases == ()


def test_a_name_is_a_document_name_when_a_title_or_short_name_holds_it():
    names = DocumentNames(CATALOG)
    assert names.is_document_name("Harbour Safety Act")
    assert names.is_document_name("General Harbour Data Regulation")
    assert names.is_document_name("GHDR")
    assert not names.is_document_name("Harbour Data Act")
    assert not names.is_document_name("Lighthouse Act")
    assert not names.is_document_name("")


def test_documents_named_by_number_come_first():
    # When more documents are named than are searched on their own, the numbered ones are kept.
    catalog = [*CATALOG, info("eo2", "Executive Order 16002: Brighter Buoys", "The White House")]
    names = DocumentNames(catalog).named_in(
        "Rank the deadlines: the Harbour Opportunities Action Plan, EO 16002's buoy report and EO 16001's lamps."
    )
    assert names.strong[:2] == ("eo", "eo2") and "plan" in names.strong
