"""Procedures in several languages: plain texts and texts per language, what is refused (with its key path), the
packaged procedures all in French, and ticking and choosing that do not depend on the language."""

from __future__ import annotations

import re

import pytest

from beffroi.domain.procedures import LANGUAGES, ProcedureStep, ProcedureTranslation, StepTranslation, view
from beffroi.engine.procedures import (
    ProcedureDefinition,
    attach,
    complete_step,
    load_procedures,
    parse_procedures,
)
from beffroi.errors import ConfigError
from tests.engine.incident_builders import T0, TENANT

BILINGUAL = """
procedures:
  - name: generic
    title: {en: Fire, fr: Incendie}
    steps:
      - id: verify
        text: {en: Look at the cameras, fr: Regarder les caméras}
        choices:
          - {id: seen, label: {en: Smoke seen, fr: Fumée vue}, next: call}
          - {id: nothing, label: Nothing seen, next: end}
      - id: call
        text: Call the fire brigade
        checklist:
          - {en: Fire brigade called, fr: Sapeurs-pompiers appelés}
          - Officer informed
"""

FRENCH_FIRST = """
language: fr
procedures:
  - name: generic
    title: {fr: Incendie, en: Fire}
    steps:
      - id: verify
        text: {fr: Regarder les caméras, en: Look at the cameras}
        choices:
          - {id: seen, label: {fr: Fumée vue, en: Smoke seen}, next: call}
          - {id: nothing, label: Rien de visible, next: end}
      - id: call
        text: Appeler les sapeurs-pompiers
        checklist:
          - {fr: Sapeurs-pompiers appelés, en: Fire brigade called}
          - Chef de sécurité prévenu
"""


def test_plain_texts_load_as_before_in_english_with_no_translation() -> None:
    library = parse_procedures(
        "procedures: [{name: generic, title: Generic, steps: [{id: a, text: Act, checklist: [One],"
        " choices: [{id: x, label: X}]}]}]"
    )
    [procedure] = library.procedures
    assert (procedure.language, procedure.title, procedure.translations) == ("en", "Generic", {})
    [step] = procedure.steps
    assert (step.text, step.checklist, step.choices[0].label, step.translations) == ("Act", ("One",), "X", {})


def test_texts_per_language_keep_the_file_language_and_translate_into_the_others() -> None:
    [procedure] = parse_procedures(BILINGUAL).procedures
    assert (procedure.language, procedure.title) == ("en", "Fire")
    assert procedure.translations == {"fr": ProcedureTranslation("Incendie")}
    verify, call = procedure.steps
    assert (verify.text, [c.label for c in verify.choices]) == ("Look at the cameras", ["Smoke seen", "Nothing seen"])
    assert verify.translations == {
        "fr": StepTranslation("Regarder les caméras", (), {"seen": "Fumée vue"})  # `nothing` is not translated
    }
    assert call.checklist == ("Fire brigade called", "Officer informed")
    # the text of the step is not translated, one checklist item of two is (by position)
    assert call.translations == {"fr": StepTranslation("", ("Sapeurs-pompiers appelés", ""), {})}


def test_a_file_in_french_keeps_french_texts_and_english_translations() -> None:
    [procedure] = parse_procedures(FRENCH_FIRST).procedures
    assert (procedure.language, procedure.title, procedure.translations) == (
        "fr",
        "Incendie",
        {"en": ProcedureTranslation("Fire")},
    )
    verify, call = procedure.steps
    assert verify.text == "Regarder les caméras" and verify.translations["en"].choices == {"seen": "Smoke seen"}
    assert call.checklist == ("Sapeurs-pompiers appelés", "Chef de sécurité prévenu")
    assert set(verify.translations) == set(call.translations) == {"en"}


def test_ticking_and_choosing_do_not_depend_on_the_language() -> None:
    english, french = parse_procedures(BILINGUAL).procedures[0], parse_procedures(FRENCH_FIRST).procedures[0]
    runs = [attach(definition, TENANT, "inc-1", T0) for definition in (english, french)]
    assert [[s.id for s in r.steps] for r in runs] == [["verify", "call"]] * 2
    assert [[c.id for c in r.steps[0].choices] for r in runs] == [["seen", "nothing"]] * 2
    worked = [
        complete_step(
            complete_step(r, "verify", "alice", T0 + 1, choice="seen"), "call", "alice", T0 + 2, checked=(1, 0)
        )
        for r in runs
    ]
    assert worked[0].progress == worked[1].progress  # same step ids, same choice id, same ticked indices
    assert [p.checked for p in worked[0].progress] == [(), (0, 1)]


def test_the_run_and_its_view_carry_the_language_and_the_translations() -> None:
    definition = parse_procedures(BILINGUAL).procedures[0]
    run = attach(definition, TENANT, "inc-1", T0)
    assert (run.language, run.translations) == ("en", {"fr": ProcedureTranslation("Incendie")})
    shown = view(run)
    assert (shown.title, shown.language, shown.translations["fr"].title) == ("Fire", "en", "Incendie")
    assert shown.steps[0].translations["fr"].text == "Regarder les caméras"
    assert shown.steps[1].translations["fr"].checklist == ("Sapeurs-pompiers appelés", "")


@pytest.mark.parametrize(
    ("yaml", "problem"),
    [
        (
            "title: {en: G, de: Allgemein}",
            "procedures[0].title.de: unknown language, use one of en, fr",
        ),
        (
            "title: G\n    steps: [{id: a, text: {en: A, es: Actuar}}]",
            "procedures[0].steps[0].text.es: unknown language",
        ),
        (
            "title: {fr: Général}",
            "procedures[0].title: no 'en' text (the file's language)",
        ),
        (
            "title: G\n    steps: [{id: a, text: A, checklist: [{en: One}, {fr: Deux}]}]",
            "procedures[0].steps[0].checklist[1]: no 'en' text",
        ),
        (
            "title: G\n    steps: [{id: a, text: A, choices: [{id: x, label: X}, {id: y, label: {fr: Oui}}]}]",
            "procedures[0].steps[0].choices[1].label: no 'en' text",
        ),
        (
            "title: G\n    steps: [{id: a, text: {en: A, fr: '  '}}]",
            "procedures[0].steps[0].text.fr: the text is empty",
        ),
        (
            "title: G\n    steps: [{id: a, text: {en: A, fr: 3}}]",
            "Expected `str`, got `int` - at `$.procedures[0].steps[0].text[...]`",
        ),
    ],
)
def test_a_bad_text_is_refused_with_its_key_path(yaml: str, problem: str) -> None:
    steps = "" if "steps:" in yaml else "\n    steps: [{id: a, text: A}]"
    text = f"procedures:\n  - name: generic\n    {yaml}{steps}\n"
    with pytest.raises(ConfigError) as error:
        parse_procedures(text, "sop.yaml")
    assert str(error.value).startswith("sop.yaml: ")
    assert problem in str(error.value)


def test_every_problem_is_listed_and_the_file_language_must_be_known() -> None:
    with pytest.raises(ConfigError) as error:
        parse_procedures(
            "procedures: [{name: generic, title: {de: G}, steps: [{id: a, text: {fr: A}}, {id: b, text: {en: B}}]}]"
        )
    assert error.value.problems == [
        "procedures[0].title.de: unknown language, use one of en, fr",
        "procedures[0].title: no 'en' text (the file's language)",
        "procedures[0].steps[0].text: no 'en' text (the file's language)",
    ]
    with pytest.raises(ConfigError, match="language: 'de' is not one of en, fr"):
        parse_procedures("language: de\nprocedures: []")


def test_a_definition_built_by_hand_refuses_translations_it_cannot_show() -> None:
    step = ProcedureStep("a", "Act", checklist=("One",))
    with pytest.raises(ValueError, match="step 'a': translations must be in fr"):
        ProcedureDefinition("p", "P", (ProcedureStep("a", "Act", translations={"de": StepTranslation("Tun")}),))
    with pytest.raises(ValueError, match="names items the step lacks"):
        ProcedureDefinition(
            "p", "P", (ProcedureStep("a", "Act", translations={"fr": StepTranslation("", ("1", "2"))}),)
        )
    with pytest.raises(ValueError, match="title translations must be in fr"):
        ProcedureDefinition("p", "P", (step,), translations={"en": ProcedureTranslation("P")})
    assert ProcedureDefinition("p", "P", (step,), translations={"fr": ProcedureTranslation("P fr")}).title == "P"


def test_every_packaged_procedure_reads_entirely_in_french() -> None:
    library = load_procedures()
    assert set(LANGUAGES) == {"en", "fr"}
    french: list[str] = []
    for procedure in library.procedures:
        assert procedure.language == "en"
        assert procedure.translations["fr"].title not in ("", procedure.title), procedure.name
        french.append(procedure.translations["fr"].title)
        for step in procedure.steps:
            where = f"{procedure.name}.{step.id}"
            translation = step.translations["fr"]
            assert translation.text and translation.text != step.text, where
            assert len(translation.checklist) == len(step.checklist), where
            assert all(translation.checklist), where
            assert set(translation.choices) == {choice.id for choice in step.choices}, where
            assert all(translation.choices[c.id] != c.label for c in step.choices), where
            french += [translation.text, *translation.checklist, *translation.choices.values()]
    whole = " ".join(french)
    for term in ("Levée de doute", "sapeurs-pompiers (18 / 112)", "main courante", "agent de sécurité", "PC sécurité"):
        assert term in whole, term
    assert not re.search(r"\b(the|and|with|Call|Send)\b", whole), "English left in the French texts"
