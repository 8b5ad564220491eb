"""What the intent classifier reads beside a sentence's characters.

- Other documents, services and offices (the lookup table `other_document`,
  data/lookups/other_document.yml) are written as one mark, so that "社保卡丢了怎么补" and
  "护照丢了怎么补" teach the same thing, and whether a sentence names another document
  without naming this certificate is a feature of its own: a linear model cannot otherwise
  learn that "丢了怎么补" means ask_lost only when no other document is the object.
- Latin text is read as words, and pinyin typed without spaces is cut into syllables
  ("lingzhengshu" → "ling zheng shu"), so that whole-pinyin and English messages are
  matched by word, not only by character n-grams.
- Every message is also read as sounds (`Sounds`): Chinese characters as their usual pinyin
  (hanzi_pinyin.tsv), Latin words as above, so that "ling zheng yao dai shenme" shares its
  features with "领证要带什么", and a homophone typo (领正) with the right character.

Plain scikit-learn transformers: they are saved with the model (skops) and cross-validated
by scripts/nlu_quickcheck.py like the rest of the pipeline.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

# One character that never occurs in a message: what an other document is written as.
DOCUMENT_MARK = "Ⓓ"
# What still names this certificate once the other documents are marked: any 证 left
# ("领证", "我的证", "证书"), or its pinyin / English word.
THIS_CERTIFICATE = re.compile(r"[证證]|cert|zheng ?shu|zigezheng", re.IGNORECASE)
# The ID card is not marked (applicants bring it to collect this certificate), but its 证 is
# never this certificate's.
ID_CARD = re.compile(r"身份[证證]")
# "身份证号" is the applicant's number, asked and given in this service's forms.
NOT_A_DOCUMENT_AFTER = r"(?![号號])"


@functools.lru_cache(maxsize=8)
def document_pattern(documents: tuple[str, ...]) -> re.Pattern[str] | None:
    if not documents:
        return None
    names = sorted({d.strip() for d in documents if d.strip()}, key=len, reverse=True)
    return re.compile("(?:" + "|".join(re.escape(n) for n in names) + ")" + NOT_A_DOCUMENT_AFTER,
                      re.IGNORECASE)


class DocumentMarker(BaseEstimator, TransformerMixin):
    """Writes every other document named in a text as DOCUMENT_MARK."""

    def __init__(self, documents: Sequence[str] = ()) -> None:
        self.documents = documents

    def fit(self, texts: Iterable[str], y: object = None) -> DocumentMarker:
        return self

    def transform(self, texts: Iterable[str]) -> list[str]:
        pattern = document_pattern(tuple(self.documents))
        return [pattern.sub(DOCUMENT_MARK, text) if pattern else text for text in texts]


class DocumentFlags(BaseEstimator, TransformerMixin):
    """Two columns for marked texts: another document named and this certificate not; both.

    `weight` sets how far they count against the tf-idf features (whose rows have norm 1)."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, texts: Iterable[str], y: object = None) -> DocumentFlags:
        return self

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        rows = []
        for text in texts:
            other = DOCUMENT_MARK in text
            ours = bool(THIS_CERTIFICATE.search(ID_CARD.sub(" ", text.replace(DOCUMENT_MARK, " "))))
            rows.append((other and not ours, other and ours))
        return sp.csr_matrix(np.array(rows, dtype=float).reshape(-1, 2) * self.weight)


# Every syllable of Mandarin pinyin, without tones.
PINYIN_SYLLABLES = frozenset("""
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao
ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui
chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao die
ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fo fou fu ga gai gan
gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen
heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju
juan jue jun ka kai kan kang kao ke ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan
lang lao le lei leng li lia lian liang liao lie lin ling liu long lou lu lv luan lve lun luo lue ma
mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei
nen neng ni nian niang niao nie nin ning niu nong nou nu nv nuan nve nuo nue o ou pa pai pan pang
pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu
qu quan que qun ran rang rao re ren reng ri rong rou ru ruan rui run ruo sa sai san sang sao se sen
seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun
shuo si song sou su suan sui sun suo ta tai tan tang tao te teng ti tian tiao tie ting tong tou tu
tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu
xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei
zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang
zhui zhun zhuo zi zong zou zu zuan zui zun zuo
""".split())
LONGEST_SYLLABLE = max(map(len, PINYIN_SYLLABLES))
LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
# A text without Latin words: one word of its own, so that the word vocabulary is never empty.
NO_LATIN = "_"


@functools.lru_cache(maxsize=4096)
def syllables(word: str) -> tuple[str, ...] | None:
    """The pinyin syllables a word is made of, or None when it is not pinyin. Longest first,
    backing off when the rest cannot be cut ("xian" stays whole, "xianzai" → "xian zai")."""
    if not word:
        return ()
    for size in range(min(LONGEST_SYLLABLE, len(word)), 0, -1):
        head = word[:size]
        if head in PINYIN_SYLLABLES:
            rest = syllables(word[size:])
            if rest is not None:
                return (head, *rest)
    return None


class LatinWords(BaseEstimator, TransformerMixin):
    """The Latin words of a text, lower-cased, pinyin cut into syllables; Chinese dropped."""

    def fit(self, texts: Iterable[str], y: object = None) -> LatinWords:
        return self

    def transform(self, texts: Iterable[str]) -> list[str]:
        out = []
        for text in texts:
            words = []
            for word in LATIN_WORD.findall(text.lower()):
                cut = syllables(word) if "'" not in word else None
                words.extend(cut if cut else (word,))
            out.append(" ".join(words) or NO_LATIN)
        return out


# "字\tpinyin" lines; "#" starts a comment.
READINGS_FILE = Path(__file__).with_name("hanzi_pinyin.tsv")
# What another document (DOCUMENT_MARK) sounds like: one word no syllable is.
DOCUMENT_SOUND = "_doc_"


@functools.lru_cache(maxsize=1)
def readings() -> dict[str, str]:
    """Each character's usual reading (the table is ~7,000 lines, read once)."""
    table = {}
    for line in READINGS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            char, sound = line.split("\t")
            table[char] = sound
    return table


def sounds(text: str) -> list[str]:
    """A text as syllables: characters by their reading, pinyin cut, English words whole."""
    table = readings()
    out: list[str] = []
    latin = ""
    for char in text + " ":
        char = char.lower() if char.isascii() else char  # "Ⓓ".lower() is another mark
        if "a" <= char <= "z" or (char == "'" and latin):
            latin += char
            continue
        if latin:
            cut = syllables(latin) if "'" not in latin else None
            out.extend(cut if cut else (latin.strip("'"),))
            latin = ""
        if char in table:
            out.append(table[char])
        elif char == DOCUMENT_MARK:
            out.append(DOCUMENT_SOUND)
    return out


class Sounds(BaseEstimator, TransformerMixin):
    """Texts as space-separated syllables (see sounds()), for a word n-gram vectorizer."""

    def fit(self, texts: Iterable[str], y: object = None) -> Sounds:
        return self

    def transform(self, texts: Iterable[str]) -> list[str]:
        return [" ".join(sounds(text)) or NO_LATIN for text in texts]
