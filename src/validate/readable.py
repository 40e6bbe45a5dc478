"""Read a number as a source writes it: "202,997", "202 997", "10%", "one in three", "tenfold", "60 тисяч".

`parse_number` is the one definition of what "the value is readable in its excerpt" means; the
validator's `value_readable` rule and the tests both call it.
"""

from __future__ import annotations

import re

WORDS = {
    # English
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "a thousand": 1000,
    "a million": 1_000_000,
    "half": 0.5,
    "a half": 0.5,
    "a third": 1 / 3,
    "a quarter": 0.25,
    "a fifth": 0.2,
    "one-third": 1 / 3,
    "two-thirds": 2 / 3,
    "three-quarters": 0.75,
    # German
    "sieben": 7,
    "zehn": 10,
    "zwei": 2,
    "drei": 3,
    # French
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "dix": 10,
    "douze": 12,
    "quinze": 15,
    "vingt": 20,
    "cent": 100,
    # Ukrainian and Russian
    "один": 1,
    "одна": 1,
    "одного": 1,
    "два": 2,
    "дві": 2,
    "две": 2,
    "три": 3,
    "чотири": 4,
    "четыре": 4,
    "п’ять": 5,
    "п'ять": 5,
    "пять": 5,
    "десять": 10,
    "дванадцять": 12,
    "двенадцать": 12,
    "п’ятнадцять": 15,
    "пятнадцать": 15,
    # genitive forms used in statutes ("від двох до п'яти років", "до семи лет")
    "двох": 2,
    "трьох": 3,
    "п’яти": 5,
    "п'яти": 5,
    "десяти": 10,
    "дванадцяти": 12,
    "двух": 2,
    "трех": 3,
    "трёх": 3,
    "пяти": 5,
    "семи": 7,
    "пятнадцати": 15,
    "одно": 1,
    "шести": 6,
    "половина": 0.5,
    "половины": 0.5,
    "половину": 0.5,
    "тысячи": 1000,  # alone: "тысячи человек" (a thousand people)
    "тысяча": 1000,
    "millier": 1000,
    "un millier": 1000,
    "centaine": 100,
    "une centaine": 100,
    # multipliers written as words
    "twice": 2,
    "double": 2,
    "doubled": 2,
    "doublé": 2,
    "tripled": 3,
    "triplé": 3,
    "viermal": 4,
    "zweimal": 2,
    "dreimal": 3,
    "fünfmal": 5,
    "удвічі": 2,
    "вчетверо": 4,
    # "every N-th" as a fraction
    "every fifth": 0.2,
    "jeder fünfte": 0.2,
    "jeder vierte": 0.25,
    "jeder dritte": 1 / 3,
    "кожна п’ята": 0.2,
    "кожна п'ята": 0.2,
    "кожен п’ятий": 0.2,
    "кожен п'ятий": 0.2,
    "кожна третя": 1 / 3,
    "каждый пятый": 0.2,
    "каждая пятая": 0.2,
    "каждый третий": 1 / 3,
    "вдвое": 2,
    "вдвічі": 2,
    "втрое": 3,
    "втричі": 3,
    "двукратным": 2,
    "трехкратным": 3,
    "трёхкратным": 3,
}
SCALE = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "тисяча": 1e3,
    "тисячі": 1e3,
    "тисяч": 1e3,
    "тис.": 1e3,
    "тис": 1e3,
    "тысяча": 1e3,
    "тысячи": 1e3,
    "тысяч": 1e3,
    "тыс.": 1e3,
    "тыс": 1e3,
    "тысячам": 1e3,
    "тысячами": 1e3,
    "тысячах": 1e3,
    "тисячам": 1e3,
    "мільйон": 1e6,
    "мільйона": 1e6,
    "мільйонів": 1e6,
    "млн": 1e6,
    "млн.": 1e6,
    "миллион": 1e6,
    "миллиона": 1e6,
    "миллионов": 1e6,
    "mille": 1e3,
    "bin": 1e3,  # Turkish
    "ezer": 1e3,  # Hungarian
    "tausend": 1e3,
    "millionen": 1e6,
    "mio.": 1e6,
    "millions": 1e6,
    "million de": 1e6,
}
SPACES = "\u00a0\u202f\u2009 "
_GROUPED = re.compile(rf"^\d{{1,3}}(?:([,{SPACES}])\d{{3}})(?:\1\d{{3}})*(?:\.\d+)?$")
# German, Turkish and Hungarian write thousands with dots ("21.000", "19.044"): a dot followed by
# exactly three digits, with no decimal part, groups thousands (no source here writes 1.5 as "1.500")
_DOTTED = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_PLAIN = re.compile(r"^\d+(?:[.,]\d+)?$")
_ONE_IN = re.compile(r"^(\S+)\s+(?:in|out of|sur|з|із|из)\s+(\S+)$", re.IGNORECASE)
_FOLD = re.compile(r"^(\S+?)-?fold$", re.IGNORECASE)
_TIMES = re.compile(r"^(\S+)\s+(?:times|fois)$", re.IGNORECASE)
_HUNDREDS = re.compile(r"^(\S+)\s+(?:hundred|cents?)$", re.IGNORECASE)
_COMPOUND = re.compile(r"^([a-z]+)-([a-z]+)$")
_SCALED_REST = re.compile(r"^(\S+)\s+(\S+)\s+(\d{1,3})$")


_SCALES = sorted(SCALE.items(), key=lambda kv: -len(kv[0]))  # longest first: "million de" before "million"


def _scaled(t: str) -> tuple[str, float] | None:
    """(the number before it, its factor) where t ends with a scale word ('60 тисяч'), else None."""
    low = t.lower()
    for scale, factor in _SCALES:
        if low.endswith(" " + scale) or (scale.endswith(".") and low.endswith(scale)):
            return t[: len(t) - len(scale)].strip(), factor
    return None


def _digits(text: str) -> float | None:
    if _DOTTED.match(text):
        return float(text.replace(".", ""))
    if _GROUPED.match(text):
        return float(re.sub(f"[,{SPACES}]", "", text))
    if _PLAIN.match(text):
        return float(text.replace(",", "."))
    return None


def parse_number(text: str) -> float | None:
    """The number a written form stands for, or None if it is not one we can read.

    Digits with thousands separators (comma, space, no-break or thin space), a decimal point or
    decimal comma ("14,9"), a percent sign (the number of percent), number words ("five"),
    "N in M" (a ratio N/M), "N-fold"/"tenfold" (a factor) and a scale word ("60 тисяч" = 60,000).
    """
    t = " ".join(text.strip().split()) if text else ""
    if not t:
        return None
    if t.endswith("%"):
        return parse_number(t[:-1])
    low = t.lower()
    for word in (" percent", " per cent", " prozent", " pour cent", " відсотків", " процентов"):
        if low.endswith(word):
            return parse_number(t[: -len(word)])
    if m := _COMPOUND.match(low):  # "fifty-six"
        tens, unit = WORDS.get(m.group(1)), WORDS.get(m.group(2))
        if tens in (20, 30, 40, 50, 60, 70, 80, 90) and unit is not None and 1 <= unit <= 9:
            return float(tens + unit)
    if (n := _digits(t)) is not None:
        return n
    if low in WORDS:
        return float(WORDS[low])
    if m := _ONE_IN.match(low):
        a, b = parse_number(m.group(1)), parse_number(m.group(2))
        return a / b if a is not None and b else None
    if m := _TIMES.match(low):  # "three times", "cinq fois"
        return parse_number(m.group(1))
    if m := _HUNDREDS.match(low):  # "three hundred", "sept cents"
        n = parse_number(m.group(1))
        return None if n is None else n * 100
    if m := _FOLD.match(low):
        word = m.group(1)
        return float(WORDS.get(word) or SCALE.get(word) or 0) or _digits(word)  # "tenfold", "thousandfold"
    if m := _SCALED_REST.match(t):  # "21 тисяча 100" = 21,100
        head, scale, rest = parse_number(m.group(1)), SCALE.get(m.group(2).lower()), _digits(m.group(3))
        if head is not None and scale and rest is not None and rest < scale:
            return head * scale + rest
    if scaled := _scaled(t):
        n = parse_number(scaled[0])
        return None if n is None else n * scaled[1]
    return None


def scale_of(text: str) -> float:
    """The factor of the scale word a written number ends with ('18 тисяч' -> 1000), else 1."""
    scaled = _scaled(" ".join(text.split())) if text else None
    return scaled[1] if scaled else 1.0


def range_low(low: str, high: str) -> float | None:
    """The low end of a written range: '17' in '17–18 тисяч' takes the high end's scale (17,000)."""
    n = parse_number(low)
    if n is None:
        return None
    return n * scale_of(high) if scale_of(low) == 1.0 else n


REL_TOL, ABS_TOL = 1e-9, 5e-7  # a written form matches a value to six decimals (ratios: 0.333333)


_TOKEN = re.compile(r"\d[\d,.\u00a0\u202f\u2009 ]*\d|\d|[^\W\d_]+(?:[’'][^\W\d_]+)?", re.UNICODE)


def numbers_in(text: str) -> set[float]:
    """Every number written in a text, as digits or words (for checking penalty terms)."""
    found: set[float] = set()
    for token in _TOKEN.findall(text):
        token = token.strip(" ,.")
        n = parse_number(token)
        if n is not None:
            found.add(n)
        # "5–12" style ranges and "2,5" decimals are both covered; split grouped digits too
        for part in re.split(r"[^\d]+", token):
            if part:
                found.add(float(part))
    return found


def rounding(text: str) -> float:
    """Half a unit of the last digit a written number states: how far it may be from what it rounds.

    '235,000' and '60 тисяч' stand for +-500, '56,2 тыс.' for +-50, '8 500' for +-50; a number
    under 1,000 written in digits, a number word and a multiplier ('cinq fois', 'tenfold') for +-0.5;
    'one in three' for nothing beyond its digits.
    """
    t = " ".join(text.strip().split()).rstrip("%").strip() if text else ""
    low = t.lower()
    if _ONE_IN.match(low):
        return 0.0
    if scaled := _scaled(t):
        head, factor = scaled
        decimal = re.search(r"[.,](\d+)$", head)
        places = len(decimal.group(1)) if decimal and not _GROUPED.match(head) else 0
        return 0.5 * factor * 10**-places
    digits = (
        re.sub(f"[,{SPACES}]", "", t) if _GROUPED.match(t) else t.replace(".", "") if _DOTTED.match(t) else t
    )
    if re.fullmatch(r"\d+", digits):
        if int(digits) < 1000:
            return 0.5
        zeros = len(digits) - len(digits.rstrip("0"))
        return 0.5 * 10**zeros
    if decimal := re.fullmatch(r"\d+[.,](\d+)", t):
        return 0.5 * 10 ** -len(decimal.group(1))
    return 0.5
