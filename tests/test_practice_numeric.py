"""Reading numeric answers as people write them (quizbank/practice/numeric.py): no database."""

from decimal import Decimal

import pytest

from quizbank.practice.numeric import NumberError, parse_unit, read_number


def values(text: str, unit: str = "") -> list[Decimal]:
    return [r.value for r in read_number(text, unit)]


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("202.4", "M（百万参数）", Decimal("202.4")),
        ("202.4M", "M（百万参数）", Decimal("202.4")),
        ("202.4m", "M（百万参数）", Decimal("202.4")),
        ("2.024亿", "M（百万参数）", Decimal("202.4")),
        ("202.4百万", "M（百万参数）", Decimal("202.4")),
        ("0.2024B", "M（百万参数）", Decimal("202.4")),
        ("48.75GB", "GB", Decimal("48.75")),
        ("48.75 GB", "GB", Decimal("48.75")),
        ("48.75gb", "GB", Decimal("48.75")),
        ("48750MB", "GB", Decimal("48.75")),
        ("48.75G", "GB", Decimal("48.75")),
        ("0.04875TB", "GB", Decimal("48.75")),
        ("16GiB", "GiB", Decimal("16")),
        ("16384MiB", "GiB", Decimal("16")),
        ("37.7MB", "MB", Decimal("37.7")),
        ("16条", "条", Decimal("16")),
        ("16 条", "条", Decimal("16")),
        ("１６条", "条", Decimal("16")),
        ("１６．５", "", Decimal("16.5")),
        ("1,024", "", Decimal("1024")),
        ("1，024", "", Decimal("1024")),
        ("1,234,567.5", "", Decimal("1234567.5")),
        ("31.5K", "token", Decimal("31500")),
        ("31.5k tokens", "token", Decimal("31500")),
        ("3.15万token", "token", Decimal("31500")),
        ("3.15万", "token", Decimal("31500")),
        ("31500 tokens", "token", Decimal("31500")),
        ("576个token", "个 token", Decimal("576")),
        ("576 tokens", "个 token", Decimal("576")),
        ("4.5万条", "条", Decimal("45000")),
        ("2千", "", Decimal("2000")),
        ("53.3%", "%", Decimal("53.3")),
        ("53.3％", "%", Decimal("53.3")),
        ("50%", "", Decimal("0.5")),
        ("2.46x", "倍", Decimal("2.46")),
        ("2.46倍", "倍", Decimal("2.46")),
        ("$16,020", "美元", Decimal("16020")),
        ("16020美元", "美元", Decimal("16020")),
        ("1.602万美元", "美元", Decimal("16020")),
        ("18.7万GPU小时", "GPU·小时", Decimal("187000")),
        ("187000 GPU·小时", "GPU·小时", Decimal("187000")),
        ("69.5 tokens/s", "token/s", Decimal("69.5")),
        ("16.03×10⁻³", "×10⁻³", Decimal("16.03")),
        ("1.603e-2", "×10⁻³", Decimal("16.03")),
        ("-3.5", "", Decimal("-3.5")),
        ("−3.5", "", Decimal("-3.5")),
        ("约 16 条", "条", Decimal("16")),
        ("16。", "条", Decimal("16")),
        (".5", "", Decimal("0.5")),
        ("1.5e3", "", Decimal("1500")),
        ("1.5×10^3", "", Decimal("1500")),
    ],
)
def test_it_reads_numbers_with_units_and_multipliers(text, unit, expected):
    assert expected in values(text, unit)


def test_a_bare_number_under_a_multiplier_unit_is_read_both_ways():
    assert values("202400000", "M（百万）") == [Decimal("202400000"), Decimal("202.4")]
    assert values("0.01603", "×10⁻³") == [Decimal("0.01603"), Decimal("16.03")]
    # a share written as a fraction (F1 = 0.533 for 53.3 %); a number above 1 is a percentage
    assert values("0.533", "%") == [Decimal("0.533"), Decimal("53.3")]
    assert values("53.3", "%") == [Decimal("53.3")]


def test_it_says_how_it_read_the_answer():
    assert read_number("202.4M", "")[0].explanation == "读作 202400000"
    assert read_number("1.6万", "美元")[0].explanation == "读作 16000 美元"  # no "16000 = 16000 美元"
    assert read_number("0.533", "%")[1].explanation == "读作 0.533 = 53.3 %"
    assert read_number("202.4", "M（百万参数）")[0].explanation == "读作 202.4 M（百万参数）"
    assert read_number("2.024亿", "M（百万参数）")[0].explanation == "读作 202400000 = 202.4 M（百万参数）"
    assert read_number("48750MB", "GB")[0].explanation == "读作 48750000000 B = 48.75 GB"


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("1e999999999", "", "范围"),
        ("1e-999999999", "", "范围"),
        ("9" * 50, "", "范围"),
        ("1e30", "", "范围"),
        ("1e29×10^9", "", "范围"),
        ("1" + "0" * 25 + "亿", "", "范围"),
        ("nan", "", "读不出"),
        ("NaN", "GB", "读不出"),
        ("inf", "", "读不出"),
        ("-Infinity", "", "读不出"),
        ("sNaN", "", "读不出"),
        ("1_000", "", "对不上"),
        ("", "", "请填"),
        ("   ", "条", "请填"),
        ("abc", "", "读不出"),
        ("1,5", "", "逗号"),
        ("1,0245", "", "逗号"),
        ("16 GB", "条", "对不上"),
        ("48.75条", "GB", "对不上"),
        ("48.75MB/s", "GB", "对不上"),
    ],
)
def test_what_is_not_a_number_for_this_question_is_an_error_with_a_message(text, unit, message):
    with pytest.raises(NumberError, match=message):
        read_number(text, unit)


def test_units_are_a_base_and_a_scale():
    assert (parse_unit("GB").base, parse_unit("GB").scale) == ("byte", Decimal(10**9))
    assert (parse_unit("GiB").base, parse_unit("GiB").scale) == ("byte", Decimal(2**30))
    assert (parse_unit("M（百万）").base, parse_unit("M（百万）").scale) == ("", Decimal(10**6))
    assert (parse_unit("×10⁻³").base, parse_unit("×10⁻³").scale) == ("", Decimal("0.001"))
    assert (parse_unit("个 token").base, parse_unit("条").base) == ("token", "条")
