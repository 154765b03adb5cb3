"""The NLU's per-message shortcuts give what the plain computation gives.

Reading a message is on every turn's path, so its steps take shortcuts (issue 16): the
classifier's idf folded into its weights and its softmax in plain Python, folding by a
character table, lookup tables searched as trees of their phrases. Each shortcut is compared
here with the plain way of computing the same thing, written out in this file, over every
training message, every citizen message of the scripted dialogues and the conversation
corpus, and a few thousand random strings."""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections import Counter
from functools import cache

import numpy as np
import pytest

from kcbot.dialogue.scripted import load_dialogues
from kcbot.nlu.data import load_training_data
from kcbot.nlu.lookups import _found
from kcbot.nlu.normalise import clean, fold, fold_with_spans
from tests.conftest import REPO


@cache
def written_messages() -> tuple[str, ...]:
    """Training messages and the citizens' messages of every dialogue file."""
    texts = [text for text, _ in load_training_data(REPO / "intents").examples]
    for path in sorted((REPO / "tests").glob("*/*.yml")):
        try:
            specs = load_dialogues(path)
        except Exception:  # noqa: BLE001 - a file of another shape (profiles only)
            continue
        texts += [turn.user for spec in specs for turn in spec.turns]
    return tuple(texts)


@cache
def corpus() -> tuple[str, ...]:
    """The written messages and random strings: of the training data's words, and of letters
    chosen to fold (æøå, aa/ae/oe, runs, ß, accents, punctuation, other scripts)."""
    texts = list(written_messages())
    rng = random.Random(16)
    words = sorted({w for text in texts for w in text.split()})
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 9))) for _ in range(2500)]
    letters = "aaeeoo åæøÅÆØ äöüßéÉİ ..,,!?-/: 0123 xyz\t\nжω"
    texts += ["".join(rng.choice(letters) for _ in range(rng.randint(0, 30)))
              for _ in range(2500)]
    return tuple(texts)


# -- folding -------------------------------------------------------------------------------------

_LETTERS = {"å": "a", "æ": "e", "ø": "o", "ä": "e", "ö": "o", "ü": "u", "ß": "ss"}
_DIGRAPHS = {"aa": "a", "ae": "e", "oe": "o"}


def plain_fold_with_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Folding as written before the shortcut: character by character, then runs, then the
    digraphs merged as they are met, pass after pass until nothing changes."""
    chars: list[tuple[str, int, int]] = []
    for i, original in enumerate(text):
        for ch in original.lower():
            if ch in _LETTERS:
                ch = _LETTERS[ch]
            elif not ch.isalnum():
                ch = " "
            elif not ch.isascii():
                base = unicodedata.normalize("NFKD", ch)[0]
                ch = base if base.isascii() and base.isalnum() else ch
            chars.extend((c, i, i + 1) for c in ch)
    collapsed: list[tuple[str, int, int]] = []
    i, n = 0, len(chars)
    while i < n:
        j = i
        while j < n and chars[j][0] == chars[i][0]:
            j += 1
        if chars[i][0] == " " or j - i >= 3:
            collapsed.append((chars[i][0], chars[i][1], chars[j - 1][2]))
        else:
            collapsed.extend(chars[i:j])
        i = j
    chars = collapsed
    changed = True
    while changed:
        changed = False
        out: list[tuple[str, int, int]] = []
        for item in chars:
            if out and (out[-1][0] + item[0]) in _DIGRAPHS:
                prev = out.pop()
                out.append((_DIGRAPHS[prev[0] + item[0]], prev[1], item[2]))
                changed = True
            else:
                out.append(item)
        chars = out
    joined = "".join(c for c, _, _ in chars)
    folded = joined.strip()
    lead = len(joined) - len(joined.lstrip())
    chars = chars[lead : lead + len(folded)]
    return folded, [(a, b) for _, a, b in chars]


def test_folding_by_table_gives_the_plain_folding_and_spans() -> None:
    merged = 0
    for text in corpus():
        expected = plain_fold_with_spans(text)
        assert fold_with_spans(text) == expected, text
        merged += len(expected[0]) < len(text.strip())
    assert merged > 1000  # runs and digraphs were exercised, not only one-to-one folding


def test_folded_messages_do_not_pile_up_in_memory() -> None:
    from kcbot.nlu import normalise

    words_kept = normalise._fold_word.cache_info().currsize
    for n in range(5000):  # a day's distinct messages
        text = f"jeg kan ikke komme til mødet nummer {n} fordi min datter er syg"
        assert fold(text) == fold(text) == plain_fold_with_spans(text)[0]
    assert normalise._fold_text.cache_info().currsize <= 64
    assert normalise._fold_word.cache_info().currsize == words_kept
    assert fold("Kontanthjælp") == fold("kontanthjaelp") == fold("KONTANTHJÆLP")


# -- the classifier ------------------------------------------------------------------------------


def plain_ranking(model, text: str) -> list[tuple[str, float]]:
    """scikit-learn's arithmetic as written out before the shortcut: sublinear tf × idf, l2
    norm, logits, temperature, softmax, all intents sorted."""
    counts = Counter(model.featurizer(text))
    idx, tf = [], []
    for feat, count in counts.items():
        j = model.vocabulary.get(feat)
        if j is not None:
            idx.append(j)
            tf.append(1.0 + math.log(count))
    if not idx:
        return []
    values = np.asarray(tf, dtype=np.float64) * model.idf[idx]
    values /= np.linalg.norm(values)
    z = (values @ model.weights[idx] + model.bias) / model.temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    return [(model.classes[i], float(p[i])) for i in np.argsort(-p).tolist()]


def test_classifier_ranking_is_the_plain_computation(nlu) -> None:
    model = nlu.model
    ranked = 0
    for text in corpus():
        cleaned = clean(text)
        expected = plain_ranking(model, cleaned)
        got = model.rank(cleaned)
        assert [name for name, _ in got] == [name for name, _ in expected], text
        for (_, p), (_, q) in zip(got, expected, strict=True):
            assert p == pytest.approx(q, abs=1e-9), text
        assert model.rank(cleaned, 10) == got[:10]
        ranked += bool(expected)
    assert ranked > 5000


# -- lookup tables -------------------------------------------------------------------------------


def plain_table_patterns() -> dict[str, re.Pattern[str]]:
    """Each lookup table's pattern as written before the shortcut: its phrases as one
    alternation, longest first, then the compound heads after any letters, then the first
    parts before an appointment word."""
    from kcbot.nlu.lookups import _INFLECTION, _TAIL

    data = load_training_data(REPO / "intents")
    patterns = {}
    for name, phrases in data.lookups.items():
        values = {fold(p) for p in phrases if fold(p)}
        heads = {fold(p) for p in phrases if p.startswith("-") and fold(p)}
        alternation = "|".join(re.escape(p) for p in sorted(values, key=len, reverse=True)
                               if p not in heads)
        compounds = "|".join(re.escape(p) for p in sorted(heads, key=len, reverse=True))
        firsts = "|".join(re.escape(fold(p)) for p in sorted(phrases, key=len, reverse=True)
                          if p.endswith("-") and fold(p))
        body = "|".join(filter(None, (alternation, compounds and rf"[a-z]*(?:{compounds})",
                                      firsts and rf"(?:{firsts}){_TAIL}")))
        patterns[name] = re.compile(r"\b(" + body + rf"){_INFLECTION}\b")
    return patterns


def test_lookup_patterns_as_trees_match_what_the_plain_alternations_match(nlu) -> None:
    plain = plain_table_patterns()
    tables = nlu.extractor.lookups._tables
    assert sorted(name for name, *_ in tables) == sorted(plain)
    phrases = [phrase for _, _, values, _ in tables for phrase in values]
    # every phrase alone, with an inflection, inside a compound and right after a word that
    # ends with it (a match inside a word is passed over, the next one found), beside the corpus
    texts = [*corpus(), *phrases, *(p + "erne" for p in phrases), *("lunge" + p for p in phrases),
             *(f"x{p} {p}" for p in phrases)]
    found = 0
    for text in texts:
        folded = fold(text)
        for name, pattern, _, first in tables:
            expected = [m.group(0, 1) + m.span() for m in plain[name].finditer(folded)]
            got = _found(pattern, first is not None, folded)
            assert [m.group(0, 1) + m.span() for m in got] == expected, text
            found += len(expected)
    assert found > len(phrases) * 2


# -- date and time patterns ----------------------------------------------------------------------


@cache
def date_words_corpus() -> tuple[str, ...]:
    """The corpus and strings made of what the date and time patterns read (weekdays, months,
    relative days, ordinals, number words, digits, glue words), so that every pattern matches
    often and its prefilter is tried at its edges ("1dec", "2day", "mandagen", "i torsdags")."""
    from kcbot.nlu import entities as E

    vocabulary = sorted({
        *E.WEEKDAYS, *E.WEEKDAYS_EN, *E.MONTHS, *E.RELATIVE_DAYS, *E.ORDINALS, *E.NUMBER_WORDS,
        "den", "d.", "the", "on", "om", "pa", "på", "i", "næste", "neste", "next", "week",
        "last", "since", "sidste", "siden", "uge", "uger", "dag", "dage", "day", "days",
        "weeks", "in", "kl", "kl.", "klokken", "at", "am", "pm", "halv", "half past", "kvart",
        "over", "quarter", "to", "past", "of", "st", "nd", "th", "en", "s", "te", "2026", "20",
        "24", "3", "03", "12", "1", "10:30", "24/11", "o clock", "tomorrow", "and", "jeg",
        "kommer", "ikke", "x"})
    rng = random.Random(1616)
    texts = list(corpus())
    for _ in range(6000):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(1, 6))]
        glue = rng.choice([" ", " ", " ", "", "-"])
        texts.append(glue.join(words) if rng.random() < 0.9 else " ".join(words).upper())
    return tuple(texts)


def test_date_and_time_prefilter_never_skips_a_pattern_that_matches() -> None:
    from kcbot.nlu import entities as E

    matched = skipped = 0
    for text in date_words_corpus():
        folded = fold(text)
        present = E._TRIGGERS.present(folded)
        for kind, pattern, needs in E._DATE_RES + E._TIME_RES:
            if pattern.search(folded):
                assert E._met(needs, present), (kind, pattern.pattern[:60], text)
                matched += 1
            else:
                skipped += not E._met(needs, present)
    assert matched > 5000 and skipped > 100000  # the patterns matched, the filter skipped


def test_extraction_with_the_prefilter_is_extraction_with_every_pattern_run(
        nlu, monkeypatch) -> None:
    from datetime import date

    from kcbot.nlu import entities as E

    texts = date_words_corpus()[::3]
    days = [date(2026, 12, 1), date(2026, 12, 28), date(2027, 2, 27)]
    fast = [nlu.extractor.extract(clean(t), days[i % 3]) for i, t in enumerate(texts)]
    monkeypatch.setattr(E, "_met", lambda needs, present: True)  # every pattern, every message
    plain = [nlu.extractor.extract(clean(t), days[i % 3]) for i, t in enumerate(texts)]
    assert fast == plain
    assert sum(any(e.entity in ("dato", "tid") for e in found) for found in plain) > 1000


def test_prefilter_lists_words_that_begin_where_a_longer_one_was_found() -> None:
    from kcbot.nlu.entities import DIGIT, _needs, _Triggers

    triggers = _Triggers([_needs(["next "]), _needs(["next week"]), _needs([DIGIT], ["2day"])])
    assert triggers.present("see you next week") == {"next ", "next week"}
    assert triggers.present("2day") == {"2day", DIGIT}
    assert triggers.present("see you") == frozenset()


# -- care signals --------------------------------------------------------------------------------


def plain_signal_matches(signal, folded: str) -> bool:
    """``Signal.matches`` as written before the shortcut: every word tried on every token."""
    from rapidfuzz import fuzz

    from kcbot.dialogue.care import FUZZY_MIN_LENGTH, FUZZY_RATIO

    if signal.guards and signal._any_guard.search(folded):
        for guard in signal.guards:
            folded = guard.sub(" ", folded)
    if signal.patterns and signal._any_pattern.search(folded):
        return True
    for token in folded.split():
        for word in signal.words:
            if token.startswith(word):
                return True
            if len(token) >= FUZZY_MIN_LENGTH and len(word) >= FUZZY_MIN_LENGTH and (
                fuzz.ratio(token[: len(word) + 1], word) >= FUZZY_RATIO
            ):
                return True
    return False


def test_care_signal_words_read_as_the_plain_loop_reads_them() -> None:
    from kcbot.config import data_path
    from kcbot.dialogue.care import CareSignals

    signals = CareSignals.load(data_path("dialogues")).signals
    words = sorted({w for s in signals for w in s.words})
    rng = random.Random(161)
    texts = list(corpus())
    for _ in range(4000):  # the words with typos, endings and in compounds, among other words
        word = list(rng.choice(words))
        for _ in range(rng.randint(0, 3)):
            i = rng.randrange(len(word))
            word[i:i + 1] = rng.choice(([], [word[i]] * 2, ["x"], [word[i], "e"]))
        texts.append(f"{rng.choice(texts)} {rng.choice(['', 'min', 'tanker'])}{''.join(word)}"
                     f"{rng.choice(['', 'er', 'stanker'])} {rng.choice(texts)}")
    hits = 0
    for text in texts:
        folded = f" {fold(text)} "
        for signal in signals:
            expected = plain_signal_matches(signal, folded)
            assert signal.matches(folded) == expected, (signal.name, text)
            hits += expected and bool(signal.words)
    assert hits > 1000


def plain_near_matches(matcher, folded: str, taken: list[tuple[int, int]]) -> list:
    """``LookupMatcher.near_matches`` as written before its words were cached."""
    from rapidfuzz import fuzz, process

    from kcbot.nlu.lookups import _LONG_WORD, FUZZY_MIN_SCORE, LookupMatch

    found = []
    for word in _LONG_WORD.finditer(folded):
        if any(a < word.end() and word.start() < b for a, b in taken):
            continue
        for name, by_length, values in matcher._words:
            near = by_length.get(len(word.group()))
            if not near:
                continue
            hit = process.extractOne(word.group(), near, scorer=fuzz.ratio,
                                     score_cutoff=FUZZY_MIN_SCORE)
            if hit:
                found.append(LookupMatch(name, values[hit[0]], word.start(), word.end()))
                break
    return found


def test_typo_readings_kept_per_word_are_the_plain_readings(nlu, monkeypatch) -> None:
    from kcbot.nlu import lookups

    matcher = nlu.extractor.lookups
    phrases = sorted({p for _, by_length, _ in matcher._words for ps in by_length.values()
                      for p in ps})
    rng = random.Random(1617)
    texts = list(corpus())
    for _ in range(3000):  # single-word phrases with a typo, among other words
        word = list(rng.choice(phrases))
        i = rng.randrange(len(word))
        word[i:i + 1] = rng.choice(([], [word[i]] * 2, ["x"]))
        texts.append(f"{rng.choice(texts)} {''.join(word)} {rng.choice(texts)}")
    monkeypatch.setattr(lookups, "NEAR_CACHE_SIZE", 500)  # emptied when full, many times over
    hits = 0
    for text in texts * 2:  # the second time from the kept readings
        folded = fold(text)
        taken = [(m.start, m.end) for m in matcher.matches(folded) if not m.is_topic]
        expected = plain_near_matches(matcher, folded, taken)
        assert matcher.near_matches(folded, taken) == expected, text
        hits += len(expected)
    assert hits > 3000 and len(matcher._near) <= 500


# -- readings kept for common messages -----------------------------------------------------------

def test_a_kept_reading_is_the_reading_of_the_day_it_is_asked_for(nlu) -> None:
    from datetime import date, timedelta

    days = (date(2026, 12, 1), date(2026, 12, 4))
    texts = list(corpus())
    assert sum(nlu.common(clean(text)) for text in texts) > 1000  # answers to the bot
    for today in days:
        for text in texts:
            fresh = nlu._parse(clean(text), today).as_dict()
            assert nlu.parse(text, today).as_dict() == fresh, text
            reading = nlu.parse(text, today)  # from the kept readings, if it was common
            assert reading.as_dict() == fresh, text
            reading.entities.clear()  # a caller's change is its own
            reading.ranking.clear()
    # "i morgen" kept on Tuesday is Wednesday, asked on Friday it is Saturday
    for today in days:
        (tomorrow,) = nlu.parse("i morgen", today).values("dato")
        assert tomorrow == (today + timedelta(days=1)).isoformat()


def test_a_citizens_own_details_are_not_kept_past_the_turn(nlu) -> None:
    from datetime import date

    today = date(2026, 12, 1)
    own = ["Sara Jensen", "20304050", "31 22 33 44", "mit cpr er 010203-1234",
           "ring til mig på 20 30 40 50", "jeg hedder Mohammed",
           "jeg kan ikke komme til min jobsamtale i morgen fordi min mor er indlagt"]
    for text in [*own, "ja", "dagpenge", "jeg er syg"]:
        nlu.parse(text, today)
        nlu.parse("tak", today)  # another message between, as the next citizen's
    kept = {key[0] for key in nlu._kept}
    assert {"ja", "dagpenge", "jeg er syg", "tak"} <= kept
    assert not kept & set(own)
    assert all(sum(ch.isdigit() for ch in text) <= 2 for text in kept)  # "2", "d. 12"


def test_kept_readings_are_bounded(nlu) -> None:
    from datetime import date, timedelta

    from kcbot.nlu.pipeline import PARSE_CACHE_SIZE

    start = date(2026, 1, 1)
    for n in range(PARSE_CACHE_SIZE + 50):  # a new day is a new reading
        nlu.parse("ja tak", start + timedelta(days=n))
    assert len(nlu._kept) == PARSE_CACHE_SIZE



def test_a_kept_language_is_the_detected_language() -> None:
    from kcbot.language import detect

    for text in corpus():
        for codes in (("da", "en"), ("da",)):
            plain = detect(text, codes, 1)
            assert detect(text, codes, 1, keep=True) == detect(text, codes, 1, keep=True) == plain
