"""The intent classifier's own features: other documents written as one mark (never this
certificate's own words), the flag of a sentence that names another document and not this
certificate, Latin text read as words with pinyin cut into syllables, and every message read
as syllables."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from nlu_components.features import (DOCUMENT_MARK, DOCUMENT_SOUND, NO_LATIN, DocumentFlags, DocumentMarker, LatinWords,
                                     Sounds, readings, syllables)
from nlu_components.linear_intent_classifier import documents_of

REPO = Path(__file__).resolve().parents[2]
M = DOCUMENT_MARK


@pytest.fixture(scope="module")
def marker() -> DocumentMarker:
    return DocumentMarker(documents_of(load_data(str(REPO / "data" / "lookups"))))


@pytest.mark.parametrize(("text", "marked"), [
    ("领户口本要带什么", f"领{M}要带什么"),
    ("领证要带户口本吗", f"领证要带{M}吗"),
    ("教师资格证丢了怎么补", f"{M}丢了怎么补"),
    ("职业技能等级证书和职业资格证书有什么区别", f"{M}和职业资格证书有什么区别"),
    ("Can my brother collect my PASSPORT", f"Can my brother collect my {M}"),
    # this certificate's own words, and the applicant's ID number
    ("我考的等级证书上印低了", "我考的等级证书上印低了"),
    ("电工四级证书到了吗", "电工四级证书到了吗"),
    ("身份证号330106196302141214", "身份证号330106196302141214"),
    # the ID card is what every applicant brings: marking it cost more in-domain questions
    # ("领证要带身份证吗") than it won; its own questions are taught in out_of_scope.yml
    ("领身份证要带什么", "领身份证要带什么"),
])
def test_other_documents_are_marked_and_this_certificate_is_not(marker: DocumentMarker, text: str,
                                                                marked: str) -> None:
    assert marker.transform([text]) == [marked]


def test_the_flags_tell_another_document_alone_from_one_beside_this_certificate(marker: DocumentMarker) -> None:
    texts = marker.transform(["领户口本要带什么", "领证要带户口本吗", "证书丢了怎么补", "huzhao diu le"])
    flags = DocumentFlags(weight=2.0).transform(texts).toarray().tolist()
    assert flags == [[2.0, 0.0], [0.0, 2.0], [0.0, 0.0], [2.0, 0.0]]


def test_no_lookup_table_marks_nothing() -> None:
    assert DocumentMarker([]).transform(["身份证丢了"]) == ["身份证丢了"]


@pytest.mark.parametrize(("word", "cut"), [
    ("lingzhengshu", ("ling", "zheng", "shu")),
    ("xianzai", ("xian", "zai")),
    ("zhengshu", ("zheng", "shu")),
    ("where", None),
    ("certificate", None),
])
def test_pinyin_is_cut_into_syllables_and_english_is_not(word: str, cut: tuple[str, ...] | None) -> None:
    assert syllables(word) == cut


def test_latin_words_are_lower_cased_and_chinese_is_dropped() -> None:
    assert LatinWords().transform(["Ling ZhengShu yao dai shenme", "Where do I collect it", "领证要带什么"]) == \
        ["ling zheng shu yao dai shen me", "where do i collect it", NO_LATIN]


def test_messages_are_read_as_syllables_whatever_they_are_written_in() -> None:
    read = Sounds().transform(["领证要带什么？", "lingzheng yao dai SHENME", "领正要带啥 OK", f"{M}丢了", "2026", ""])
    assert read == ["ling zheng yao dai shen me", "ling zheng yao dai shen me", "ling zheng yao dai sha ok",
                    f"{DOCUMENT_SOUND} diu le", NO_LATIN, NO_LATIN]


def test_the_reading_table_covers_the_common_characters() -> None:
    table = readings()
    assert len(table) > 6763
    assert {table[c] for c in "领证书邮寄"} == {"ling", "zheng", "shu", "you", "ji"}
    assert all(sound.isascii() and sound.isalpha() for sound in table.values())


def test_the_id_cards_character_does_not_name_this_certificate(marker: DocumentMarker) -> None:
    texts = marker.transform(["毕业证上的身份证号码印错了", "证书上的身份证号码印错了"])
    assert DocumentFlags().transform(texts).toarray().tolist() == [[1.0, 0.0], [0.0, 0.0]]
