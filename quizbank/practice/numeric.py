"""Reading a numeric answer as people write it: "202.4M", "48.75 GB", "1.6万条", "1,024",
full-width digits, "16.03×10⁻³". A number comes back in the question's unit, with a sentence
saying how it was read; anything else is a NumberError with a message for the learner.
Pure functions: no database, no HTTP."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, localcontext

from django.utils.translation import gettext as _

MAX_MAGNITUDE = 30  # |x| < 10^30 and, unless 0, |x| >= 10^-30: far beyond any answer in the bank
NUMBER_RE = re.compile(
    r"^(?P<sign>[-+−]?)"
    r"(?P<digits>\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:e(?P<exp>[-+]?\d+))?"
    r"(?:[×x*]10(?:\^|\*\*)?(?P<power>[-+]?\d+))?"
    r"(?P<rest>.*)$"
)
NOTE_RE = re.compile(r"[（(][^）)]*[）)]")  # "M（百万参数）" -> "M"
APPROX_RE = re.compile(r"^(?:约|大约|大概|≈|~)")
MULTIPLIERS = {
    "k": 10**3,
    "千": 10**3,
    "m": 10**6,
    "百万": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "g": 10**9,
    "十亿": 10**9,
    "t": 10**12,
    "万亿": 10**12,
    "万": 10**4,
    "亿": 10**8,
    "%": Decimal("0.01"),
}
BYTES = {
    "b": 1,
    "byte": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "pb": 10**15,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
ALIASES = {"x": "倍", "×": "倍", "$": "美元", "usd": "美元", "dollar": "美元", "刀": "美元"}


class NumberError(ValueError):
    """The answer is not a number this question can take; the message says why."""


@dataclass(frozen=True)
class Unit:
    """A question's unit as a base and a scale: "GB" is (byte, 10^9), "M（百万）" is ("", 10^6),
    "条" is (条, 1)."""

    text: str
    base: str
    scale: Decimal

    @property
    def pure_scale(self) -> bool:
        """A bare multiplier such as M or ×10⁻³, where a plain number may be meant either way."""
        return self.base == "" and self.scale != 1 and self.text.strip() != "%"


@dataclass(frozen=True)
class Reading:
    value: Decimal  # in the question's unit
    explanation: str  # "读作 202400000 = 202.4 M（百万参数）"


def _normal(text: str) -> str:
    """Full-width to ASCII, no spaces, lower case, the unit's note in brackets dropped."""
    text = unicodedata.normalize("NFKC", text).replace("−", "-")
    return NOTE_RE.sub("", "".join(text.split())).lower()


def _canon(unit: str) -> str:
    unit = ALIASES.get(unit, unit).replace("·", "").replace("・", "")
    unit = unit.removeprefix("个")
    return re.sub(r"([a-z]{2,})s\b", r"\1", unit)


def parse_unit(text: str) -> Unit:
    unit = _normal(text or "")
    if unit in BYTES and unit != "b":
        return Unit(text, "byte", Decimal(BYTES[unit]))
    if unit in MULTIPLIERS:
        return Unit(text, "", Decimal(MULTIPLIERS[unit]))
    power = re.fullmatch(r"[×x*]10(?:\^|\*\*)?([-+]?\d{1,2})", unit)
    if power:
        return Unit(text, "", Decimal(10) ** int(power.group(1)))
    return Unit(text, _canon(unit), Decimal(1))


def _plain(value: Decimal) -> str:
    with localcontext(prec=12):
        value = +value
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _bounded(value: Decimal) -> Decimal:
    if value and not -MAX_MAGNITUDE <= value.adjusted() < MAX_MAGNITUDE:
        raise NumberError(_("这个数超出了能判断的范围（绝对值在 10⁻³⁰ 到 10³⁰ 之间）。"))
    return value


def _number(match: re.Match) -> Decimal:
    for name in ("exp", "power"):
        if match.group(name) and len(match.group(name).lstrip("+-")) > 3:
            raise NumberError(_("这个数超出了能判断的范围（绝对值在 10⁻³⁰ 到 10³⁰ 之间）。"))
    value = _bounded(Decimal(match.group("digits").replace(",", "")))
    with localcontext(prec=40):
        value *= Decimal(10) ** int(match.group("exp") or 0)
        _bounded(value)
        if match.group("power"):
            value *= Decimal(10) ** int(match.group("power"))
    value = _bounded(value)
    return -value if match.group("sign") in ("-", "−") else value


def _factor(rest: str, unit: Unit) -> Decimal | None:
    """How many of the base unit one `rest` is (None: it does not fit this question)."""
    if unit.base == "byte" and rest in BYTES:
        return Decimal(BYTES[rest])
    for word in sorted(MULTIPLIERS, key=len, reverse=True):
        if rest.startswith(word) and _canon(rest[len(word) :]) in ("", unit.base):
            return Decimal(MULTIPLIERS[word])
    return None


def read_number(text: str, unit_text: str = "") -> tuple[Reading, ...]:
    """The ways `text` can be read in the question's unit (two only for a bare number under a
    pure multiplier such as M: 202.4 or 202400000). Raises NumberError."""
    unit = parse_unit(unit_text)
    given = APPROX_RE.sub("", _normal(text)).rstrip("。.")
    if not given:
        raise NumberError(_("请填一个数。"))
    currency = given.startswith(("$", "¥"))
    match = NUMBER_RE.match(given.lstrip("$¥"))
    if not match:
        raise NumberError(_("读不出一个数：请写成 202.4、1,024、48.75GB 或 1.6万 这样的形式。"))
    value = _number(match)
    rest = match.group("rest") or ("美元" if currency and given.startswith("$") else "")
    if rest.startswith(","):
        raise NumberError(_("逗号只能用作千位分隔，例如 1,024；小数请用点：1.5。"))
    shown_unit = f" {unit.text}" if unit.text else ""
    with localcontext(prec=40):
        if match.group("power") and not rest and unit.base == "":
            in_unit = value / unit.scale
        elif not rest or _canon(rest) == _canon(_normal(unit.text)):
            readings = [Reading(value, _("读作 %(n)s") % {"n": _plain(value) + shown_unit})]
            if not rest and unit.pure_scale and not match.group("power"):
                readings.append(_reading(value, value / unit.scale, shown_unit))
            elif not rest and unit.text.strip() == "%" and abs(value) <= 1:  # 0.533 for 53.3 %
                readings.append(_reading(value, value / unit.scale, shown_unit))
            return tuple(readings)
        else:
            factor = _factor(rest, unit)
            if factor is None:
                raise NumberError(
                    _("单位“%(given)s”和这道题的单位（%(unit)s）对不上。")
                    % {"given": match.group("rest"), "unit": unit.text or _("无单位")}
                )
            absolute = _bounded(value * factor)
            if unit.base == "byte":
                return (_reading(absolute, absolute / unit.scale, shown_unit, " B"),)
            return (_reading(absolute, absolute / unit.scale, shown_unit),)
    return (_reading(value, in_unit, shown_unit),)


def _reading(absolute: Decimal, in_unit: Decimal, shown_unit: str, base: str = "") -> Reading:
    if absolute == in_unit and not base:  # 1.6万 美元: "读作 16000 美元", not "16000 = 16000 美元"
        return Reading(_bounded(in_unit), _("读作 %(n)s") % {"n": _plain(in_unit) + shown_unit})
    explanation = _("读作 %(n)s") % {"n": f"{_plain(absolute)}{base} = {_plain(in_unit)}{shown_unit}"}
    return Reading(_bounded(in_unit), explanation)
