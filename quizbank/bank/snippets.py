"""Search result snippets: an answer as readable plain text (formulas kept as text), a window of
it around the query's words, and those words marked as the search analyser reads them."""

from __future__ import annotations

import re
from html import escape

import jieba

from quizbank.bank.analysis import singular

# -- Markdown and TeX to plain text --------------------------------------------------------
_MATH_RE = re.compile(r"\$\$(.*?)\$\$|\$([^$\n]+)\$", re.S)
_FENCE_RE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# Structure labels that say nothing about the content ("**总**：…", "**分**：").
# Also with a note in brackets: "**分**（按时间线）：", "分（混合精度 Adam，K=12）：".
_LABEL_RE = re.compile(r"^(?:\*\*)?(?:总|分|一句话|回答重点)(?:\*\*)?(?:[（(][^）)\n]{0,40}[）)])?(?:\*\*)?[：:]\s*")
_TEX_SYMBOLS = {
    "times": "×", "cdot": "·", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
    "approx": "≈", "sim": "~", "to": "→", "rightarrow": "→", "leftarrow": "←", "infty": "∞",
    "sum": "Σ", "prod": "Π", "in": "∈", "pm": "±", "partial": "∂", "nabla": "∇", "top": "T",
    "ldots": "…", "cdots": "…", "dots": "…", "mid": "|", "propto": "∝", "odot": "⊙", "oplus": "⊕",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "sigma": "σ", "tau": "τ", "phi": "φ",
    "pi": "π", "ell": "ℓ", "rho": "ρ", "omega": "ω", "psi": "ψ", "Psi": "Ψ", "Delta": "Δ", "Sigma": "Σ",
    "Theta": "Θ", "Omega": "Ω", "Phi": "Φ", "Lambda": "Λ", "lvert": "|", "rvert": "|", "vert": "|",
    "lVert": "‖", "rVert": "‖", "Vert": "‖", "langle": "⟨", "rangle": "⟩",
}  # fmt: skip
_TEX_OPERATORS = frozenset("× · ≤ ≥ ≠ ≈ ~ → ← ∈ ± ∝ ⊙ ⊕ |".split())
_TEX_FRAC_RE = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_TEX_SQRT_RE = re.compile(r"\\sqrt\s*\{([^{}]*)\}")
_TEX_DROP_RE = re.compile(
    r"\\(?:left|right|[bB]igg?[lr]?|displaystyle|limits|begin\{\w+\*?\}|end\{\w+\*?\}"
    r"|math(?:rm|bf|bb|cal|it|sf)|text(?:rm|bf|it)?|operatorname|boldsymbol|hat|bar|tilde|vec|overline)(?![A-Za-z])"
)
_TEX_COMMAND_RE = re.compile(r"\\([A-Za-z]+)")


def _symbol(name: str, tex: str) -> str:
    symbol = _TEX_SYMBOLS.get(name, tex)
    return f" {symbol} " if symbol in _TEX_OPERATORS else symbol


def _short(part: str) -> str:
    return part if re.fullmatch(r"[\w.^√]*", part) else f"({part})"


def tex_to_text(tex: str) -> str:
    """A formula as it reads in plain text: \\frac{QK^\\top}{\\sqrt{d_k}} -> QK^T/√d_k."""
    text = _TEX_DROP_RE.sub("", tex.replace("\\\\", "; "))
    text = re.sub(r"\\(?:[,;:! ]|q?quad(?![A-Za-z]))|~", " ", text)
    text = re.sub(r"\\([_%#$&|])", r"\1", re.sub(r"(?<!\\)&", " ", text))
    text = _TEX_COMMAND_RE.sub(lambda m: _symbol(m.group(1), m.group(0)), text)
    for _ in range(5):  # innermost first, for nested fractions and roots
        text = re.sub(r"\{\{([^{}]*)\}\}", r"{\1}", text)
        text = re.sub(r"([\^_])\{([^{}]*)\}", lambda m: m.group(1) + _short(m.group(2).strip()), text)
        text = _TEX_SQRT_RE.sub(lambda m: "√" + _short(m.group(1).strip()), text)
        text = _TEX_FRAC_RE.sub(lambda m: f"{_short(m.group(1).strip())}/{_short(m.group(2).strip())}", text)
        text = re.sub(r"(?<![\\\w^_}])\{([^{}]*)\}(?!\s*\{)", r"\1", text)  # a bare group: {quant}(w)
    text = re.sub(r"\\[dt]?frac\s*(\w)\s*(\w)", r"\1/\2", text)  # \frac1d
    text = re.sub(r"\\[dt]?frac(?![A-Za-z])", "", text)  # what is left of a fraction reads as its parts
    text = text.replace("\\{", "{").replace("\\}", "}")
    text = _TEX_COMMAND_RE.sub(r"\1", text).replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text).strip().replace(" ^", "^").replace(" _", "_")


def formulas_as_text(markdown_text: str) -> str:
    """Markdown with each $…$ / $$…$$ formula as it reads in plain text (what search indexes:
    "softmax" and "√d_k", not "mathrm" and "lvert")."""
    return _MATH_RE.sub(lambda m: f" {tex_to_text(m.group(1) or m.group(2))} ", markdown_text)


def plain_text(markdown_text: str) -> str:
    """A Markdown answer as one line of plain text: formulas as text, no code blocks, no labels."""

    def formula(match: re.Match) -> str:
        before, after = match.string[match.start() - 1 : match.start()], match.string[match.end() : match.end() + 1]
        left = " " if before.isascii() and before.isalnum() else ""
        right = " " if after.isascii() and after.isalnum() else ""
        return left + tex_to_text(match.group(1) or match.group(2)) + right

    out = []
    text = _MATH_RE.sub(formula, _FENCE_RE.sub("\n", markdown_text))
    for line in text.splitlines():
        line = line.strip()
        if not line or re.fullmatch(r"\|?[\s:|-]+\|?", line):
            continue
        line = _LINK_RE.sub(r"\1", line.lstrip("#> ").replace("**", "").replace("`", ""))
        line = re.sub(r"^[-*+]\s+", "", line)
        if line.startswith("|"):
            line = " · ".join(cell.strip() for cell in line.strip("|").split("|"))
        out.append(_LABEL_RE.sub("", line))
    text = re.sub(r"\s{2,}", " ", " ".join(out)).strip()
    return re.sub(r"\s+([，。；：！？、）])|([（])\s+", r"\1\2", text)


# -- marking the query's words --------------------------------------------------------------
_LATIN_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.]|[_-](?=[A-Za-z0-9]))*")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")


def matched_spans(text: str, words: set[str]) -> list[tuple[int, int]]:
    """Where the text says one of the words, read as the index reads it: jieba words for
    Chinese, whole names or their parts for English ("d_k" is dk, "LLMs" is llm)."""
    spans = []
    for m in _LATIN_RE.finditer(text):
        joined = singular(re.sub(r"[_-]", "", m.group(0)).casefold())
        if joined in words:
            spans.append(m.span())
            continue
        at = m.start()
        for part in m.group(0).split("-"):
            if singular(part.replace("_", "").casefold()) in words:
                spans.append((at, at + len(part)))
            at += len(part) + 1
    for word, start, end in jieba.tokenize(text, mode="search"):
        if _CJK_RE.search(word) and word in words:
            spans.append((start, end))
    if "根号" in words:
        spans.extend((i, i + 1) for i, c in enumerate(text) if c == "√")
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _window(text: str, words: list[str], width: int) -> tuple[int, int]:
    """The stretch of `width` characters that says the most different query words, starting
    at a sentence when one begins shortly before them."""
    lowered = text.casefold() if len(text.casefold()) == len(text) else text
    found = sorted((m.start(), w) for w in words for m in re.finditer(re.escape(w), lowered))[:300]
    best, best_start = 0, 0
    for i, (pos, _) in enumerate(found):
        said = len({w for p, w in found[i:] if p < pos + width * 3 // 4})
        if said > best:
            best, best_start = said, pos
    start = max(0, best_start - width // 4)
    stop = max((text.rfind(c, start, best_start) for c in "。；！？\n"), default=-1)
    if stop >= 0:
        start = stop + 1
    return start, min(len(text), start + width)


def highlight(text: str, words: list[str], *, width: int | None = None) -> str:
    """Escape text and mark the query's words; with width, cut a window around the part that
    says most of them."""
    start, end = _window(text, words, width) if width and len(text) > width else (0, len(text))
    piece = text[start:end].strip()
    out, last = [], 0
    for s, e in matched_spans(piece, set(words)):
        out.append(escape(piece[last:s]))
        out.append(f"<mark>{escape(piece[s:e])}</mark>")
        last = e
    out.append(escape(piece[last:]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def snippet(texts: list[str], words: list[str], *, width: int = 120) -> str:
    """The highlighted window of the first of the Markdown texts that says a query word."""
    plain = [plain_text(t) for t in texts if t]
    chosen = next((p for p in plain if any(w in p.casefold() for w in words)), plain[0] if plain else "")
    return highlight(chosen, words, width=width)
