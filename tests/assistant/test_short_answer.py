"""Short answers (issue 15) on a small archive built from the project's own files: the seed article, an uploaded
NASA lunar-lander article and an unrelated Sky/BSkyB one, with the real embedding model, Chroma and spaCy."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEED

from assistant import Assistant, uploads
from assistant.answer import opening_short_answer
from assistant.answer.extractive import ExtractiveAnswerer, Weights
from assistant.answer.llm import LLMAnswerer, chat_model
from assistant.answer.short import Calibration, Candidate, ShortWeights, candidates, gate_features
from assistant.cli import main
from assistant.eval.metrics import short_scores
from assistant.ner import pipeline, tag
from assistant.qtype import answer_type
from assistant.settings import Settings
from assistant.terms import weights
from vectorstore.article import ArticleMeta
from vectorstore.ingest import Ingestor
from vectorstore.passage import Passage
from vectorstore.store import Archive

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
HAMAS = "Who headed the Hamas delegation that met Hezbollah in Beirut?"
NASA = "How much did NASA pay for the lunar lander's instruments?"


@pytest.fixture(scope="module")
def small_store(tmp_path_factory, embedder) -> Archive:
    """The seed article and the Sky history in the archive; the NASA article uploaded as a user would."""
    folder = tmp_path_factory.mktemp("short")
    archive = Archive(Settings(store=folder / "store"), embedder)
    accepted, rejected = uploads.accept([DATA / "nasa-lunar-lander.txt"], folder / "uploads")
    assert accepted and not rejected
    summary = Ingestor(archive).run([SEED, DATA / "sky.jsonl", *accepted], progress=False)
    assert summary.failed == 0, summary.errors
    return archive


@pytest.fixture(scope="module")
def assistant(small_store) -> Assistant:
    return Assistant(small_store)


@pytest.fixture(scope="module")
def shows_all(small_store) -> Assistant:
    """An answerer whose gate shows every short answer it finds: what the phrase and its marker look like."""
    tuned = Weights(calibration=Calibration(threshold=0.0))
    return Assistant(small_store, ExtractiveAnswerer(small_store.settings.min_evidence, tuned))


def test_short_answer_opens_the_answer_with_its_marker(shows_all):
    answer = shows_all.ask(HAMAS)
    assert answer.short_answer == "Ahmed Abdel Hadi"
    assert answer.answer.startswith("Ahmed Abdel Hadi [1]. ")
    first = answer.citations[0]
    assert "Ahmed Abdel Hadi" in shows_all.archive.article(first.article.id).text[
        first.highlight_start : first.highlight_end]
    assert answer.to_json()["short_answer"] == "Ahmed Abdel Hadi"


def test_a_close_call_between_names_is_not_shown_in_bold(assistant):
    """Four names stand in the seed's sentences (Ahmed Abdel Hadi, Al-Manar, Hasan Huballah, Hasan Nasrallah) and
    the ranker prefers the right one only narrowly: on the dev sets such a call is right about a quarter of the
    time, so the answer opens with its sentence, and the phrase stays on the record for the eval."""
    answer = assistant.ask(HAMAS)
    assert answer.short_answer is None and answer.short_answer_candidate == "Ahmed Abdel Hadi"
    assert answer.confidence < Calibration().threshold
    assert answer.answer.startswith("The Hamas delegation was headed by Ahmed Abdel Hadi")
    assert not answer.answer.startswith("Ahmed Abdel Hadi [1]")


def test_follow_up_answers_the_new_question(assistant, shows_all):
    for asked in (shows_all, assistant):
        first = asked.ask(HAMAS)
        follow = asked.ask("And who led the Hezbollah side?", history=[(HAMAS, first.answer)])
        assert follow.short_answer_candidate == "Hasan Huballah" and follow.answer != first.answer
    assert follow.short_answer is None  # the default gate: a close call again
    shown = shows_all.ask("And who led the Hezbollah side?", history=[(HAMAS, shows_all.ask(HAMAS).answer)])
    assert shown.short_answer == "Hasan Huballah" and shown.answer.startswith("Hasan Huballah [1].")


def test_amount_with_its_unit_and_no_padding_from_an_unrelated_article(assistant):
    answer = assistant.ask(NASA)
    assert answer.short_answer == "$118 million"
    assert all(c.article.title != "Sky UK: a short history" for c in answer.citations)
    assert "BSkyB" not in answer.answer and "10 million homes" not in answer.answer
    assert any(c.article.title == "Sky UK: a short history" for c in answer.related)  # retrieved, and left out


def test_short_answer_never_repeats_the_question(assistant):
    answer = assistant.ask("Which TV station did Mahmoud Zahar talk to?")
    assert answer.short_answer_candidate == "Al-Manar"
    assert "Zahar" not in answer.short_answer_candidate


def test_explanations_and_refusals_have_no_short_answer(assistant):
    why = assistant.ask("Why did Hamas send a delegation to Beirut?")
    assert why.short_answer is None
    peru = assistant.ask("What is the capital of Peru?")
    assert peru.refused and peru.short_answer is None


@pytest.mark.parametrize(("question", "kind", "first_label"), [
    (HAMAS, "person", "PERSON"),
    ("Where did the delegations meet?", "place", "GPE"),
    ("When did Pelosi first become speaker?", "date", "DATE"),
    ("Nancy Pelosi stepped down on Thursday. In what year did she first become speaker?", "date", "DATE"),
    (NASA, "number", "MONEY"),
    ("What percentage of homes had satellite TV?", "number", "PERCENT"),
    ("Which TV station interviewed Mahmoud Zahar?", "entity", "ORG"),
    ("The InSight lander's mission ended after four years of exploring what planet?", "place", "GPE"),
    ("Liz Truss was asked not to attend Cop27, which is being held where?", "place", "GPE"),  # not the relative
    ("More than 350 bars take part in London Cocktail Week, which is running for how long?", "number", "DATE"),
])
def test_answer_type_from_the_question(question, kind, first_label):
    asked = answer_type(question)
    assert asked.kind == kind and asked.labels[0] == first_label


def test_a_known_noun_later_in_a_what_question_types_it_only_after_a_copula():
    assert answer_type("What was Hero of Alexandria's nationality?").noun == "nationality"
    # "what caused …" asks for a cause, a clause: explained, as why is, not a date because it mentions a century
    assert answer_type("What caused tourism to decline in the latter half of the 19th century?").explanation


@pytest.mark.parametrize(("question", "sentence", "short"), [
    ("Liz Truss resigned as prime minister after how many days in office?",
     "Liz Truss resigned after 45 days in office, the shortest term of any prime minister.", "45 days"),
    ("Which university issued an apology after it sent out 4,000 acceptance letters by mistake?",
     "Northeastern University apologised on Friday for sending 4,000 acceptance letters by mistake.",
     "Northeastern University"),
    ("A lake-effect snowstorm took aim at which state this week?",
     "The snowstorm buried parts of New York under six feet of snow.", "New York"),
])
def test_the_short_answer_keeps_its_unit_and_its_whole_name(question, sentence, short):
    """A number keeps its unit and a name keeps the asked noun it ends with, though the question says them; a
    name keeps a stop word it holds ("New")."""
    found = candidates(tag([sentence]), [1.0], ["News"], answer_type(question), weights(question), set(),
                       ShortWeights())
    assert found[0].text == short


def test_the_ranker_prefers_what_the_headlines_name():
    """Of two names of the asked kind in equally good sentences, the one the articles' titles name wins."""
    question = "Which company recently cut ties with basketball star Kyrie Irving?"
    docs = tag(["Nike said it had ended its relationship with Kyrie Irving.",
                "The NBA suspended Kyrie Irving for five games."])

    def best(titles: list[str]) -> str:
        return candidates(docs, [1.0, 1.0], titles, answer_type(question), weights(question), set(),
                          ShortWeights())[0].text

    assert best(["Basketball news", "Sports roundup"]) == "NBA"
    assert best(["Nike cuts ties with Kyrie Irving", "Sports roundup"]) == "Nike"


@pytest.mark.parametrize("question", ["Why are the lakes emptied before winter?", "How did the war end?"])
def test_explanation_questions_ask_for_no_phrase(question):
    assert answer_type(question).explanation


def test_the_ner_model_is_spacy_small_and_tags_the_seed_names():
    (doc,) = tag(["The Hamas delegation was headed by Ahmed Abdel Hadi, while the Hezbollah team was led by "
                  "Hasan Huballah."])
    assert {("Ahmed Abdel Hadi", "PERSON"), ("Hasan Huballah", "PERSON")} <= {(e.text, e.label_) for e in doc.ents}


def test_ask_json_and_eval_carry_the_short_answer(small_store, tmp_path):
    store = str(small_store.folder)
    result = CliRunner().invoke(main, ["ask", HAMAS, "--store", store, "--json"])
    assert result.exit_code == 0, result.output
    said = json.loads(result.output)
    assert said["short_answer"] is None and said["short_answer_candidate"] == "Ahmed Abdel Hadi"  # a close call
    assert 0.0 < said["confidence"] < 1.0
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join([
        json.dumps({"id": "hamas", "question": HAMAS, "answers": ["Ahmed Abdel Hadi"]}),
        json.dumps({"id": "nasa", "question": NASA, "answers": ["118 million"]}),
        json.dumps({"id": "bad", "question": 42, "answers": []}),
        json.dumps({"id": "peru", "question": "What is the capital of Peru?", "answers": []}),
    ]) + "\n")
    out = tmp_path / "run"
    run = CliRunner().invoke(main, ["eval", str(questions), "--store", store, "--out", str(out), "--quiet"])
    assert run.exit_code == 0, run.output
    assert f"{questions}:3: 'question': Input should be a valid string" in run.stderr
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["short_answer"] for r in records] == [None, "$118 million", None]
    assert [r["short_answer_candidate"] for r in records] == ["Ahmed Abdel Hadi", "$118 million", None]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["short_answer_em"] == 0.5 and metrics["short_answer_contains"] == 0.5
    assert metrics["short_answer_precision"] == 1.0 and metrics["short_answer_coverage"] == 0.5
    assert "short_answer_f1" in (out / "report.md").read_text()
    compared = CliRunner().invoke(main, ["eval", "--compare", str(out), str(out)])
    assert "short_answer_f1" in compared.stdout and "short_answer_contains flipped on 0" in compared.stdout


def test_short_answer_scores_use_squad_normalisation():
    assert short_scores("The Ahmed Abdel-Hadi.", ["Ahmed Abdel-Hadi"]) == {
        "short_answer_em": 1.0, "short_answer_f1": 1.0, "short_answer_contains": 1.0}
    assert short_scores("$118 million", ["118 million"])["short_answer_em"] == 1.0
    partial = short_scores("Hasan Huballah team", ["Hasan Huballah"])
    assert partial["short_answer_em"] == 0.0 and partial["short_answer_f1"] == 0.8
    assert partial["short_answer_contains"] == 1.0
    assert short_scores(None, ["x"])["short_answer_f1"] == 0.0


def test_an_llm_is_asked_to_open_with_the_short_answer(small_store, chat_stub):
    chat_stub.reply = "Ahmed Abdel Hadi [1]. The Hamas delegation was headed by Ahmed Abdel Hadi [1]. See [7]."
    settings = Settings(llm_base_url=chat_stub.url)
    answer = Assistant(small_store, LLMAnswerer(chat_model("openai:stub", settings))).ask(HAMAS)
    assert answer.short_answer == "Ahmed Abdel Hadi" and answer.to_json()["short_answer"] == "Ahmed Abdel Hadi"
    assert answer.invalid_markers == 1 and [c.n for c in answer.citations] == [1]  # citation checks unchanged
    assert "Open with the short answer" in chat_stub.requests[-1]["messages"][0]["content"]


@pytest.mark.parametrize(("text", "short"), [
    ("Hasan Huballah [1][2]. He led the Hezbollah team [1].", "Hasan Huballah"),
    ("The delegation was headed by Ahmed Abdel Hadi [1].", None),  # a sentence, not a phrase
    ("Hamas [1]. It sent a delegation [1].", None),  # the question already says it
    ("The archive has no passage that answers this.", None),
])
def test_the_short_answer_an_llm_opens_with(text, short):
    assert opening_short_answer(text, HAMAS) == short




def _phrases(question: str, sentence: str) -> list[str]:
    return [c.text for c in candidates(tag([sentence]), [1.0], ["News"], answer_type(question), weights(question),
                                       set(), ShortWeights())]


@pytest.mark.parametrize(("question", "sentence", "fragment"), [
    # a weekday or a relative date names a day only against its article's date, and is often another event
    ("When was Saddam Hussein executed?", "Saddam's co-defendants are to be executed Thursday.", "Thursday"),
    ("When was Saddam Hussein executed?", "Saddam Hussein was hanged last week, officials said.", "last week"),
    ("When was Saddam Hussein executed?", "Saddam Hussein was hanged, officials said yesterday.", "yesterday"),
    # a duration says how long, not when
    ("When was Saddam Hussein executed?", "Saddam Hussein is to be executed within 30 days of his appeal.",
     "30 days"),
    # a title of address, or what is left of the question's own name once its words are trimmed off
    ("What did Hussein say?", "Mr. Hussein said little.", "Mr."),
    ("Who did Jones meet?", "Dr Jones met officials.", "Dr"),
    ("What did Biden sign?", "President Biden signed the law on Tuesday.", "President"),
    ("Who did Saddam Hussein meet?", "Mr. Saddam Hussein met President Bush.", "Mr."),
    # a modifier without its noun, a word of the question
    ("What did the fire chief say about the fire?", "The cause of the fire was not made public.", "public"),
    ("Who leads Hamas?", "Hamas said its delegation would meet Hezbollah.", "Hamas"),
])
def test_no_fragment_that_answers_nothing(question, sentence, fragment):
    """Each of these once opened an answer in bold (the first three, and "public", on the shipped sample archive)."""
    assert fragment not in _phrases(question, sentence)


@pytest.mark.parametrize(("question", "sentence", "short"), [
    ("When was Saddam Hussein executed?", "Saddam Hussein was executed on December 30, 2006, in Baghdad.",
     "December 30, 2006"),
    ("In what month did the strike begin?", "The strike began in March, the union said.", "March"),
    ("On what day of the week did the strike begin?", "The strike began on Thursday, the union said.", "Thursday"),
    ("What did Biden sign?", "President Biden signed the Inflation Reduction Act on Tuesday.",
     "Inflation Reduction Act"),
    ("Who met Mr. Hussein?", "Mr. Hussein met President George Bush.", "George Bush"),
])
def test_a_real_answer_stays(question, sentence, short):
    """A calendar date for "when", a weekday for "what day", a name beside a title."""
    assert _phrases(question, sentence)[0] == short


def test_a_pronoun_or_a_lone_common_noun_is_no_name():
    """Even when the NER model tags them as entities (built by hand here, as the small model sometimes does)."""
    from spacy.tokens import Doc

    doc = Doc(pipeline().vocab, words=["She", "starred", "in", "the", "series", "."],
              pos=["PRON", "VERB", "ADP", "DET", "NOUN", "PUNCT"],
              ents=["B-PERSON", "O", "O", "O", "B-WORK_OF_ART", "O"])
    for question in ("Which show did Smith star in?", "Who starred in the show?"):
        assert candidates([doc], [1.0], ["News"], answer_type(question), weights(question), set(),
                          ShortWeights()) == []


def test_confidence_grows_with_the_rankers_belief_and_the_passages_that_name_it():
    """Mentions of one answer ("Hadi", "Ahmed Abdel Hadi") pool the ranker's belief; a rival name takes it away."""
    def found(*scored: tuple[str, float]) -> list[Candidate]:
        return [Candidate(text, 0, 0, len(text), score=score) for text, score in scored]

    passages = ["Ahmed Abdel Hadi led the delegation.", "Hadi met Huballah.", "Nothing here."]
    one = gate_features(found(("Ahmed Abdel Hadi", 9.0), ("Hadi", 8.9)), passages, 0.8, 0.7)
    torn = gate_features(found(("Ahmed Abdel Hadi", 9.0), ("Hasan Huballah", 8.9)), passages, 0.8, 0.7)
    assert one["agreement"] == 1.0 and one["margin"] == 5.0 and one["passages"] == pytest.approx(1 / 3)
    assert torn["agreement"] == pytest.approx(1 / (1 + math.exp(-0.1))) and torn["margin"] == pytest.approx(0.1)
    cal = Calibration()
    assert 0.0 < cal.confidence(torn) < cal.confidence(one) < 1.0


def _passages(*texts: str) -> list[Passage]:
    return [Passage(f"c{i}", ArticleMeta(f"a{i}", f"Story {i}", f"u{i}", "news.test", None), "body", 0, 0,
                    len(text), text, dense=0.6) for i, text in enumerate(texts)]


def test_an_unsure_short_answer_is_kept_out_of_the_answer():
    """Below the threshold: no bold phrase, the answer opens with its best sentence, the phrase and its confidence
    stay on the draft; at or above it, the answer opens with the phrase."""
    passages = _passages("The Hamas delegation was headed by Ahmed Abdel Hadi, who met Hezbollah in Beirut.",
                         "Hezbollah's team was led by Hasan Huballah.")
    sure = ExtractiveAnswerer(0.0, Weights(calibration=Calibration(threshold=0.0))).answer(HAMAS, passages, [])
    unsure = ExtractiveAnswerer(0.0, Weights(calibration=Calibration(threshold=1.0))).answer(HAMAS, passages, [])
    assert sure.short_answer == sure.short_answer_candidate == "Ahmed Abdel Hadi"
    assert sure.text.startswith("Ahmed Abdel Hadi [1]. The Hamas delegation")
    assert unsure.short_answer is None and unsure.short_answer_candidate == "Ahmed Abdel Hadi"
    assert unsure.text.startswith("The Hamas delegation was headed by Ahmed Abdel Hadi") and not unsure.refused
    assert sure.confidence == unsure.confidence and 0.0 < unsure.confidence < 1.0
    why = ExtractiveAnswerer(0.0).answer("Why did Hamas meet Hezbollah in Beirut?", passages, [])
    assert why.short_answer is None and why.short_answer_candidate is None and why.confidence is None


def _signals(question: str, sentence: str) -> dict[str, dict[str, float]]:
    """Each candidate phrase of the sentence with its parse signals."""
    found = candidates(tag([sentence]), [1.0], ["News"], answer_type(question), weights(question), set(),
                       ShortWeights())
    return {c.text: {k: c.signals[k] for k in ("role", "apposed", "prep")} for c in found}


def test_role_the_subject_or_object_of_the_questions_verb():
    """"Who opened …" asks for the subject of "open": a passive's "by" object is one, a name elsewhere is not;
    "What did X sign" asks for the object of "sign"."""
    opened = _signals("Who opened the bridge?", "The bridge was opened by Mayor John Smith, Anne Hidalgo said.")
    assert opened["John Smith"]["role"] == 1.0 and opened["Anne Hidalgo"]["role"] == 0.0
    signed = _signals("What did Biden sign?", "Biden signed the Inflation Reduction Act, Nancy Pelosi said.")
    assert signed["Inflation Reduction Act"]["role"] == 1.0 and signed["Nancy Pelosi"]["role"] == 0.0


def test_apposed_an_apposition_or_x_based_modifier_of_the_asked_noun():
    found = _signals("Which group claimed the attack?", "The Paris-based group claimed the attack, Reuters said.")
    assert found["Paris"]["apposed"] == 1.0 and found["Reuters"]["apposed"] == 0.0


def test_prep_the_object_of_the_questions_preposition_on_its_verb():
    found = _signals("In which city did the summit take place?",
                     "The summit, hosted by Macron, took place in Geneva, Reuters said.")
    assert found["Geneva"]["prep"] == 1.0 and found["Reuters"]["prep"] == 0.0
    where = _signals("Where did the summit take place?", "The summit, hosted by Macron, took place in Geneva.")
    assert where["Geneva"]["prep"] == 1.0  # "where" stands for the object of "in" or "at" on the verb


def test_the_phrase_in_the_wh_words_place_scores_higher():
    """The shipped weights raise the subject of the question's verb by the role weight, and no other name."""
    question = "Who opened the bridge?"
    docs = tag(["The bridge was opened by Mayor John Smith on Monday, Anne Hidalgo of Paris said."])

    def scores(w: ShortWeights) -> dict[str, float]:
        return {c.text: c.score for c in candidates(docs, [1.0], ["News"], answer_type(question), weights(question),
                                                      set(), w)}

    shipped, blind = scores(ShortWeights()), scores(dataclasses.replace(ShortWeights(), role=0.0))
    assert ShortWeights().role > 0 and ShortWeights().prep > 0
    assert shipped["John Smith"] - blind["John Smith"] == pytest.approx(ShortWeights().role)
    assert shipped["Anne Hidalgo"] == blind["Anne Hidalgo"]


def test_which_of_these_is_typed_by_the_noun_after_it():
    asked = answer_type("Which of these companies bought Twitter in 2022?")
    assert asked.kind == "entity" and asked.noun == "company" and asked.labels[0] == "ORG"
    assert answer_type("Which of the following is the capital of France?").kind == "place"


def test_true_or_false_has_no_short_answer():
    """TRUE or FALSE is not a phrase of the text: the answer opens with its sentence, no fragment in bold."""
    question = "True or false: Elon Musk bought Twitter in 2022."
    assert answer_type(question).explanation
    passages = _passages("Elon Musk bought Twitter in 2022 for $44 billion.")
    draft = ExtractiveAnswerer(0.0, Weights(calibration=Calibration(threshold=0.0))).answer(question, passages, [])
    assert draft.short_answer is None and draft.short_answer_candidate is None and not draft.refused


def test_a_statement_ending_in_a_colon_is_asked_like_what():
    question = "The social network that Elon Musk bought in 2022:"
    asked = answer_type(question)
    assert asked.kind == "thing" and asked.phrases
    assert "Twitter" in _signals(question, "Elon Musk bought Twitter in 2022 for $44 billion.")
