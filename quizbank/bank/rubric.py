"""How specific a key point's aliases are (pure, no Django).

An alias is meant to show that a candidate said *this* point. One that also occurs in many other
answers of the same set (`embedding` in the RAG set, `时间步` in the Transformer set) shows only
that the candidate is talking about the topic. The measure: the share of the *other* questions
of the set whose reference answer (回答重点 + 扩展知识) contains the alias, matched as the grader
matches it (case, width, spaces, `_` and `-` ignored; a Latin word only as a whole word).

- share > GENERIC_SHARE: `load_questions --check` warns, and the grader gives the alias at most
  partial credit;
- SPECIFIC_SHARE < share <= GENERIC_SHARE: three quarters of the credit;
- share <= SPECIFIC_SHARE: full credit.
A set with fewer than MIN_OTHERS other questions is too small to tell, and nothing is measured.
"""

from __future__ import annotations

from collections import Counter

from quizbank.bank.glossary import Entry, Glossary, compact
from quizbank.bank.markup import ContentError, SetData

GENERIC_SHARE = 0.25
SPECIFIC_SHARE = 0.10
MIN_OTHERS = 8


def matcher(terms) -> tuple[Glossary, list[str]]:
    """A term matcher over arbitrary phrases (one entry per distinct phrase)."""
    unique = list(dict.fromkeys(t for t in terms if compact(t)))
    keys = list(dict.fromkeys(compact(t) for t in unique))
    first = {}
    for t in unique:
        first.setdefault(compact(t), t)
    return Glossary([Entry(name=first[k], terms=(first[k],)) for k in keys]), keys


def alias_shares(questions) -> dict[str, dict[str, float]]:
    """{question id: {alias: share of the other questions' answers that contain it}}."""
    questions = list(questions)
    if len(questions) - 1 < MIN_OTHERS:
        return {q.id: {} for q in questions}
    aliases = [a for q in questions for k in q.key_points for a in k.aliases]
    terms, keys = matcher(aliases)
    found = []
    for q in questions:
        text = f"{q.answer}\n{q.extended}"
        found.append({keys[m.entry] for m in terms.find(text, overlapping=True)})
    # how many answers contain each alias; a question's others are all of them but its own
    containing = Counter(key for f in found for key in f)
    others = len(questions) - 1
    shares = {}
    for q, own in zip(questions, found, strict=True):
        shares[q.id] = {}
        for k in q.key_points:
            for a in k.aliases:
                key = compact(a)
                shares[q.id][a] = round((containing[key] - (key in own)) / others, 3)
    return shares


def one_question_shares(question, others) -> dict[str, float]:
    """alias_shares for one question against the others of its set, without measuring theirs
    (the editor asks this on every keystroke)."""
    others = [o for o in others if o.id != question.id]
    if len(others) < MIN_OTHERS:
        return {}
    aliases = [a for k in question.key_points for a in k.aliases]
    if not aliases:
        return {}
    terms, keys = matcher(aliases)
    found = [{keys[m.entry] for m in terms.find(f"{o.answer}\n{o.extended}", overlapping=True)} for o in others]
    return {a: round(sum(compact(a) in f for f in found) / len(found), 3) for a in aliases}


def alias_credit(share: float) -> float:
    """The most a match of an alias with this share can earn its point."""
    if share > GENERIC_SHARE:
        return 0.5
    if share > SPECIFIC_SHARE:
        return 0.75
    return 1.0


def generic_alias_warnings(data: SetData, shares: dict | None = None) -> list[ContentError]:
    """One warning per alias above GENERIC_SHARE, with the file and the key point's line
    (`shares`: already measured, e.g. for only some of the questions)."""
    shares = alias_shares(data.questions) if shares is None else shares
    warnings = []
    for q in data.questions:
        for k in q.key_points if q.id in shares else ():
            for a in k.aliases:
                share = shares[q.id].get(a, 0.0)
                if share > GENERIC_SHARE:
                    warnings.append(
                        ContentError(
                            data.path,
                            k.line or q.line,
                            f"别名 {a!r} 出现在本题集 {share:.0%} 的其他答案里（超过 {GENERIC_SHARE:.0%}）："
                            "太泛，只能给部分分；换成只有这个关键点才会说的词组",
                        )
                    )
    return warnings
