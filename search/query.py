"""The query language: what a researcher types → a Whoosh query, an account of
how it was read, and the literal strings to highlight.

Grammar (web-search style; nothing in it can fail)::

    query    := term*                       all terms must match (AND)
    term     := ["-" | "NOT "] atom ("OR" | "|") …   OR binds tighter than AND
    atom     := word | "phrase" | “phrase” | 「phrase」 | field ":" value
    value    := word | quoted phrase | range (year and numeric fields)
    range    := N | =N | >N | >=N | <N | <=N | N..M | N.. | ..M   (also N-M, N~M)

- A *literal* (a word or a quoted phrase) matches a report whose folded text
  contains it as a substring, ignoring whitespace and punctuation; its
  abbreviation variants (:func:`index.analysis.variants`) match too.
  Traditional characters fold to simplified (行政處罰 is 行政处罚), here as in
  the index.
- A bare word that names a place (河南, 河南省, 鼓楼, 福州市; the rule is
  :func:`index.region.places_named`) also matches the reports *of* that place,
  whether or not the text names it: text OR region.  Quoting it ("河南")
  searches the text only.  A name several places share (鼓楼区 in 福州市, 南京市 …)
  matches them all; :meth:`ParsedQuery.choices` lists them to pick one.
- Fields: ``agency province city county sector`` (substring of that field),
  ``year`` and the numeric fields of :data:`index.template.KEY_FIGURES`
  (ranges); Chinese aliases such as ``机关:`` ``年份:`` ``本年新收申请:``.
- ``AND`` is the default and ignored; ``(`` ``)`` are punctuation.
- Anything malformed is read as literally as possible and explained in
  :attr:`ParsedQuery.notes`; an empty query matches every report.

Typical use::

    parsed = parse_query('应急 行政处罚 OR 行政许可 -复议 year:2021..2023')
    parsed.describe()     # 全文包含“应急”且（“行政处罚”或“行政许可”），不含“复议”；年份 2021–2023
    parse_query('河南').describe()   # “河南” → 地区：河南省，或全文
    q = compile_query(parsed, searcher.schema)
    parsed.literals()     # ['应急', '行政处罚', '行政许可'] for highlighting
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from whoosh import query as Q
from whoosh.fields import NUMERIC
from whoosh.util.numeric import tiered_ranges

from index.analysis import fold, simplify, variants
from index.region import LEVEL_FACET, load_table, place_label, place_parts, place_path, places_named, region_of
from index.schema import NUMERIC_FIELDS, TEXT_FIELDS
from index.template import KEY_FIGURES
from search.phrase import ExactPhrase, covering_grams

__all__ = ["Clause", "ExactRange", "ParsedQuery", "Place", "parse_query", "compile_query", "FIELD_LABELS", "MAX_TERMS", "MAX_LITERAL"]

MAX_TERMS = 50  # clauses kept from one query
MAX_LITERAL = 200  # characters kept from one literal
MAX_INPUT = 20_000  # characters read at all; the rest could only be cut later

FIELD_LABELS: dict[str, str] = {
    "agency": "机关",
    "province": "省份",
    "city": "市",
    "county": "区县",
    "sector": "领域",
    "year": "年份",
    **KEY_FIGURES,
}


def _aliases() -> dict[str, str]:
    table = {name: name for name in (*TEXT_FIELDS, *NUMERIC_FIELDS)}
    table.update({"机关": "agency", "省": "province", "市": "city", "县": "county", "区县": "county",
                  "领域": "sector", "行业": "sector", "年份": "year", "年度": "year"})
    for name, label in KEY_FIGURES.items():
        table[label] = name
        # "收费金额（万元）" is also typed without its unit.
        table[re.sub(r"[（(].*?[)）]", "", label)] = name
    return {fold(k): v for k, v in table.items()}


ALIASES = _aliases()

_QUOTES = {'"': '"”', "“": "”\"", "「": "」", "『": "』"}
_OR_CHARS = "|｜"
_MINUS = "-－"
_COLONS = ":："
_OPERATORS = ("OR", "AND", "NOT")
_NUM = r"[0-9]+(?:\.[0-9]+)?"
_COMPARE = re.compile(rf"(>=|<=|==|=|>|<|≥|≤)?({_NUM})")
_SPAN = re.compile(rf"({_NUM})?(?:\.\.\.?|…|~|–|—|-|至|到)({_NUM})?")
# An unknown "key:value" is worth a note only when the key looks like a field
# name; "10:30" or a URL is plain text.
_FIELDISH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[^\W\d_]{1,12}")


def _has_text(s: str) -> bool:
    """Whether ``s`` has anything the bigram analyzer keeps."""
    return any(ch.isalnum() for ch in fold(s))


def _strip_punct(s: str) -> str:
    """``s`` without punctuation at either end: "(应急)" → "应急"."""
    start, end = 0, len(s)
    while start < end and not _has_text(s[start]):
        start += 1
    while end > start and not _has_text(s[end - 1]):
        end -= 1
    return s[start:end]


def _num(x: float | int) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


# --------------------------------------------------------------------------
# The parsed query


@dataclass
class Place:
    """A place a search word names, as the facet that selects it: ``facet``
    (province/city/county) and ``value`` (the place path, e.g. 福建省/福州市/鼓楼区),
    ``label`` (鼓楼区 · 福州市), and the region fields a report of it has."""

    facet: str
    value: str
    label: str
    fields: dict[str, str]

    @classmethod
    def named(cls, word: str) -> list[Place]:
        table = load_table()
        out = []
        for d in places_named(word, table):
            region = {k: v for k, v in vars(region_of(d, table)).items() if v}
            path = place_path(*region.values())
            out.append(cls(LEVEL_FACET[d.level], path, place_label(path), region))
        return out


@dataclass
class Clause:
    """One condition: a literal, a substring of a field, or a numeric range.

    ``kind`` is "text" (``value`` must occur in the report), "field" (``value``
    must occur in ``field``) or "range" (``low`` … ``high`` on ``field``; ``value``
    is the range as typed).  ``negated``: the condition must *not* hold.
    """

    kind: str
    value: str
    field: str | None = None
    negated: bool = False
    low: float | int | None = None
    high: float | int | None = None
    low_exclusive: bool = False
    high_exclusive: bool = False
    quoted: bool = False  # typed as a "phrase": matched as one, and never as a place
    # A text clause that names places matches their reports too.  (``field`` is
    # the attribute above here, not dataclasses.field.)
    places: list[Place] = dataclasses.field(default_factory=list)

    def variants(self) -> list[str]:
        """The strings that satisfy a text or agency clause: the value (in
        simplified characters) first, then its synonym rewritings."""
        if self.kind == "text" or self.field == "agency":
            return variants(simplify(self.value))
        return [self.value]

    def _literal(self) -> str:
        """The literal as read: “发改局”（同义：发展改革局、…）, 短语“行政 处罚”."""
        out = ("短语" if self.quoted else "") + f"“{self.value}”"
        forms = self.variants()
        if forms[0] != self.value:
            out += f"（简体：“{forms[0]}”）"
        if len(forms) > 1:
            shown = "、".join(forms[1:4])
            out += f"（同义：{shown}{f' 等 {len(forms) - 1} 种' if len(forms) > 4 else ''}）"
        return out

    def describe(self, standalone: bool = True) -> str:
        """Plain Chinese; ``standalone=False`` gives just the literal for text."""
        if self.kind == "text":
            literal = self._literal()
            if self.places:
                where = _places_text(self.places)
                return f"{'排除' if self.negated else ''}{literal} → 地区：{where}，或全文"
            if not standalone:
                return literal
            return ("全文不含" if self.negated else "全文包含") + literal
        label = FIELD_LABELS.get(self.field or "", self.field or "")
        if self.kind == "field":
            return f"{label}{'不含' if self.negated else '包含'}“{self.value}”"
        return f"{'排除' if self.negated else ''}{label} {self._range_text()}"

    def _range_text(self) -> str:
        lo, hi = self.low, self.high
        if lo is not None and hi is not None and lo == hi and not (self.low_exclusive or self.high_exclusive):
            return _num(lo) if self.field == "year" else f"= {_num(lo)}"
        if lo is not None and hi is not None and not (self.low_exclusive or self.high_exclusive):
            return f"{_num(lo)}–{_num(hi)}"
        parts = []
        if lo is not None:
            parts.append(f"{'>' if self.low_exclusive else '≥'} {_num(lo)}")
        if hi is not None:
            parts.append(f"{'<' if self.high_exclusive else '≤'} {_num(hi)}")
        return " 且 ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["description"] = self.describe()
        return d


def _places_text(places: list[Place]) -> str:
    """河南省; 鼓楼区（南京市、福州市）for places of one name."""
    by_name: dict[str, list[str]] = {}
    for p in places:
        name, parent = place_parts(p.value)
        by_name.setdefault(name, []).append(parent)
    return "、".join(name if parents == [""] else f"{name}（{'、'.join(parents)}）" for name, parents in by_name.items())


def _is_plain_text(group: list[Clause]) -> bool:
    return all(c.kind == "text" and not c.negated and not c.places for c in group)


@dataclass
class ParsedQuery:
    """A query as read: an AND of OR-groups of :class:`Clause`.

    A group of one negated clause excludes; any other group must match (a
    negated alternative inside an OR-group means "or does not contain").
    """

    text: str
    clauses: list[list[Clause]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """No conditions at all: every report matches."""
        return not self.clauses

    def literals(self) -> list[str]:
        """The positive literals and their variants, for highlighting: in
        simplified characters, so 行政處罰 marks 行政处罚 in the text."""
        out: dict[str, None] = {}
        for group in self.clauses:
            for c in group:
                if c.kind == "text" and not c.negated:
                    out.update(dict.fromkeys(c.variants()))
        return list(out)

    def describe(self) -> str:
        """How the query was read, in plain Chinese."""
        contains, excludes, others = [], [], []
        for group in self.clauses:
            if _is_plain_text(group):
                alts = "或".join(c.describe(False) for c in group)
                contains.append(f"（{alts}）" if len(group) > 1 else alts)
            elif len(group) == 1 and group[0].kind == "text" and not group[0].places:
                excludes.append(group[0].describe(False))
            elif len(group) == 1:
                others.append(group[0].describe())
            else:
                others.append("（" + " 或 ".join(c.describe() for c in group) + "）")
        head = "全文包含" + "且".join(contains) if contains else ""
        if excludes:
            head += ("，" if head else "") + "不含" + "、".join(excludes)
        parts = ([head] if head else []) + others
        ignored = f"（{'；'.join(self.notes)}）" if self.notes else ""
        if not parts:
            return "全部报告" + ignored
        if all(len(g) == 1 and g[0].negated for g in self.clauses):
            return "全部报告，但" + "；".join(parts) + ignored
        return "；".join(parts) + ignored

    def choices(self) -> list[tuple[str, list[Place]]]:
        """(word as typed, its places) for each word that names several places
        of one name (鼓楼区 → 鼓楼区 · 南京市, 鼓楼区 · 福州市 …), to offer as choices."""
        out = []
        for group in self.clauses:
            for c in group:
                if len(c.places) > 1 and not c.negated:
                    out.append((c.value, c.places))
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able account of the query, for the API."""
        return {
            "text": self.text,
            "clauses": [[c.to_dict() for c in group] for group in self.clauses],
            "notes": list(self.notes),
            "description": self.describe(),
            "literals": self.literals(),
            "empty": self.is_empty,
        }


# --------------------------------------------------------------------------
# Reading


@dataclass
class _Token:
    text: str  # literal, field value or operator
    raw: str  # as typed, for notes
    op: str | None = None
    negated: bool = False
    key: str | None = None  # field key as typed
    quoted: bool = False
    closed: bool = True  # a quoted phrase had its closing quote


def _clean(text: object, notes: list[str]) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    if len(text) > MAX_INPUT:
        text = text[:MAX_INPUT]
        notes.append(f"查询过长，只读取前 {MAX_INPUT} 个字符")
    out, dropped = [], False
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            if ch.isspace():
                out.append(" ")
            else:
                dropped = True
        else:
            out.append(ch)
    if dropped:
        notes.append("已去除不可见的控制字符")
    return "".join(out)


class _Lexer:
    def __init__(self, text: str, notes: list[str]) -> None:
        self.s, self.i, self.notes = text, 0, notes

    def _skip_space(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def _quoted(self) -> tuple[str, bool]:
        """(phrase, closed) for the quote at ``self.i``; an unclosed one runs to the end."""
        s, opener = self.s, self.s[self.i]
        start = self.i + 1
        end = next((j for j in range(start, len(s)) if s[j] in _QUOTES[opener]), -1)
        if end < 0:
            phrase = s[start:].strip()
            self.i = len(s)
            self.notes.append(f"引号未闭合，按短语“{phrase}”处理" if _has_text(phrase) else "引号未闭合，已忽略")
            return phrase, False
        self.i = end + 1
        return s[start:end].strip(), True

    def _word(self) -> str:
        s, start = self.s, self.i
        while self.i < len(s) and not s[self.i].isspace() and s[self.i] not in _OR_CHARS and s[self.i] not in _QUOTES:
            self.i += 1
        return s[start:self.i]

    def tokens(self) -> list[_Token]:
        s, out = self.s, []
        while True:
            self._skip_space()
            if self.i >= len(s):
                return out
            start = self.i
            if s[self.i] in _OR_CHARS:
                self.i += 1
                out.append(_Token("OR", s[start], op="OR"))
                continue
            negated = False
            while (self.i + 1 < len(s) and s[self.i] in _MINUS
                   and not s[self.i + 1].isspace() and s[self.i + 1] not in _OR_CHARS):
                negated, self.i = True, self.i + 1
            if s[self.i] in _QUOTES:
                phrase, closed = self._quoted()
                out.append(_Token(phrase, s[start:self.i], negated=negated, quoted=True, closed=closed))
                continue
            word = self._word()
            if not negated and word in _OPERATORS:
                out.append(_Token(word, word, op=word))
                continue
            out.append(self._maybe_field(word, negated, start))

    def _maybe_field(self, word: str, negated: bool, start: int) -> _Token:
        colon = next((j for j, ch in enumerate(word) if ch in _COLONS), -1)
        key = word[:colon] if colon > 0 else ""
        if fold(key) not in ALIASES:
            return _Token(word, word, negated=negated)
        value, quoted, closed = word[colon + 1:], False, True
        if not value:
            # "year: 2021" or 'agency:"…"': the value is the next chunk.
            mark = self.i
            self._skip_space()
            if self.i < len(self.s) and self.s[self.i] in _QUOTES:
                (value, closed), quoted = self._quoted(), True
            elif self.i < len(self.s) and self.s[self.i] not in _OR_CHARS + _MINUS:
                value = self._word()
                if value in _OPERATORS:
                    value, self.i = "", mark
            else:
                self.i = mark
        return _Token(value, self.s[start:self.i].strip(), negated=negated, key=key, quoted=quoted, closed=closed)


def _parse_range(name: str, raw: str) -> tuple[Any, Any, bool, bool] | str:
    """(low, high, low exclusive, high exclusive), or why ``raw`` is not a range."""
    s = re.sub(r"\s+", "", fold(raw))
    if name == "year":
        s = s.replace("年度", "").replace("年", "")
    lo = hi = None
    lo_ex = hi_ex = False
    m = _COMPARE.fullmatch(s)
    if m:
        op, n = m.group(1) or "=", m.group(2)
        if op in ("=", "=="):
            lo = hi = n
        elif op in (">", ">=", "≥"):
            lo, lo_ex = n, op == ">"
        else:
            hi, hi_ex = n, op == "<"
    else:
        m = _SPAN.fullmatch(s)
        if not m or not (m.group(1) or m.group(2)):
            return "须为数字或范围，如 5、>0、>=10、2021..2023"
        lo, hi = m.group(1), m.group(2)
    nums = [n for n in (lo, hi) if n is not None]
    if any(len(n) > 15 for n in nums):
        return "数字过大"
    if name == "year":
        if any("." in n for n in nums):
            return "年份须为整数"
        ilo = None if lo is None else int(lo) + lo_ex
        ihi = None if hi is None else int(hi) - hi_ex
        if any(v > 9999 for v in (ilo, ihi) if v is not None):
            return "年份超出范围"
        return ilo, ihi, False, False
    return (None if lo is None else float(lo)), (None if hi is None else float(hi)), lo_ex, hi_ex


def _clause(tok: _Token, notes: list[str]) -> Clause | None:
    """The clause a token stands for, or None (with a note) when it says nothing."""
    if tok.key is None:
        value = tok.text if tok.quoted else _strip_punct(tok.text)
        if not _has_text(value):
            if not tok.quoted:
                notes.append(f"“{tok.raw}”不含文字或数字，已忽略")
            elif tok.closed:
                notes.append(f"“{tok.raw}”中没有文字，已忽略")
            return None
        if len(value) > MAX_LITERAL:
            value = value[:MAX_LITERAL]
            notes.append(f"词语过长，只取前 {MAX_LITERAL} 个字符")
        if not tok.quoted and ":" in fold(tok.text):
            key = fold(tok.text).split(":", 1)[0]
            if _FIELDISH.fullmatch(key) and key not in ("http", "https", "ftp", "mailto"):
                notes.append(f"未知字段“{key}”，按文字“{value}”处理")
        return Clause("text", value, negated=tok.negated, quoted=tok.quoted,
                      places=[] if tok.quoted else Place.named(fold(value)))
    name = ALIASES[fold(tok.key)]
    label = FIELD_LABELS[name]
    if name in TEXT_FIELDS:
        value = tok.text if tok.quoted else _strip_punct(tok.text)
        if not _has_text(value):
            notes.append(f"“{tok.raw}”缺少{label}的取值，已忽略")
            return None
        return Clause("field", value[:MAX_LITERAL], field=name, negated=tok.negated)
    if not tok.text.strip():
        notes.append(f"“{tok.raw}”缺少{label}的取值，已忽略")
        return None
    parsed = _parse_range(name, tok.text)
    if isinstance(parsed, str):
        notes.append(f"无法理解“{tok.raw}”：{label}{parsed}，已忽略")
        return None
    lo, hi, lo_ex, hi_ex = parsed
    if lo is not None and hi is not None and (lo > hi or lo == hi and (lo_ex or hi_ex)):
        if lo == hi:
            notes.append(f"“{tok.raw}”的范围为空，已忽略")
            return None
        lo, hi, lo_ex, hi_ex = hi, lo, hi_ex, lo_ex
        notes.append(f"“{tok.raw}”上下限颠倒，已按 {_num(lo)}–{_num(hi)} 处理")
    return Clause("range", tok.text.strip(), field=name, negated=tok.negated,
                  low=lo, high=hi, low_exclusive=lo_ex, high_exclusive=hi_ex)


def parse_query(text: str) -> ParsedQuery:
    """Read ``text`` as a query; never raises (see the module docstring)."""
    notes: list[str] = []
    cleaned = _clean(text, notes)
    parsed = ParsedQuery(text if isinstance(text, str) else cleaned, [], notes)
    groups = parsed.clauses
    want_or = want_not = dangling_and = False
    count = 0
    for tok in _Lexer(cleaned, notes).tokens():
        if tok.op == "OR":
            if not groups:
                notes.append(f"开头的“{tok.raw}”已忽略")
            want_or = bool(groups)
            continue
        if tok.op == "AND":
            if not groups:
                notes.append("开头的“AND”已忽略")
            dangling_and = bool(groups)
            continue
        if tok.op == "NOT":
            want_not = True
            continue
        clause = _clause(tok, notes)
        if clause is None:
            continue
        count += 1
        if count > MAX_TERMS:
            notes.append(f"查询过长，只保留前 {MAX_TERMS} 个条件")
            want_or = want_not = dangling_and = False
            break
        clause.negated = clause.negated or want_not
        if want_or:
            groups[-1].append(clause)
        else:
            groups.append([clause])
        want_or = want_not = dangling_and = False
    if want_or:
        notes.append("末尾的“OR”已忽略")
    if dangling_and:
        notes.append("末尾的“AND”已忽略")
    if want_not:
        notes.append("末尾的“NOT”已忽略")
    if not groups and cleaned.strip() and not notes:
        notes.append("查询中没有可搜索的文字，显示全部报告")
    return parsed


# --------------------------------------------------------------------------
# Compiling


class ExactRange(Q.NumericRange):
    """A :class:`whoosh.query.NumericRange` read from the full-precision terms only.

    Whoosh 2.7.4 splits a range into precision tiers wrongly near zero of an
    unsigned field: ``NumericRange("year", None, 2020)`` also matches 2023 and
    ``NumericRange("year", 2000, 9999)`` matches 0.  A field has few distinct
    values, so one TermRange over them is exact and still cheap.
    """

    def _compile_query(self, ixreader: Any) -> Q.Query:
        field = ixreader.schema[self.fieldname]
        if not isinstance(field, NUMERIC):
            return Q.NullQuery
        start = None if self.start is None else field.prepare_number(self.start)
        end = None if self.end is None else field.prepare_number(self.end)
        ((lo, hi, _),) = tiered_ranges(field.numtype, field.bits, field.signed, start, end, 0,
                                       self.startexcl, self.endexcl)
        if lo > hi:
            return Q.NullQuery
        key = field.sortable_to_bytes
        q = Q.Term(self.fieldname, key(lo)) if lo == hi else Q.TermRange(self.fieldname, key(lo), key(hi))
        return Q.ConstantScoreQuery(q, self.boost) if self.constantscore else q


def _tokens(schema: Any, name: str, text: str) -> list[str]:
    if name not in schema:
        return []
    return [t.text for t in schema[name].analyzer(text)]


def _phrase(name: str, tokens: list[str]) -> Q.Query | None:
    if not tokens:
        return None
    return Q.Term(name, tokens[0]) if len(tokens) == 1 else ExactPhrase(name, tokens)


def _grams(schema: Any, name: str, text: str) -> Q.Query | None:
    """Substring match on a bigram field; a lone character is any gram it starts."""
    grams = _tokens(schema, name, text)
    if len(grams) == 1 and len(grams[0]) == 1:
        return Q.Prefix(name, grams[0])
    if len(grams) <= 2:
        return _phrase(name, grams)
    words, offsets = covering_grams(grams)
    return ExactPhrase(name, words, offsets=offsets)


def _any(queries: list[Q.Query | None]) -> Q.Query:
    qs = [q for q in queries if q is not None]
    if not qs:
        return Q.NullQuery
    return qs[0] if len(qs) == 1 else Q.Or(qs)


def _literal(schema: Any, forms: list[str]) -> Q.Query:
    """A literal's forms (:meth:`Clause.variants`) anywhere in the text or the agency name."""
    parts: list[Q.Query | None] = []
    for v in forms:
        # The bigram phrase decides what matches; the others only add score
        # (a lone character: Prefix on the grams, Term on the words).
        parts += [_grams(schema, "body_bi", v), _phrase("body", _tokens(schema, "body", v)),
                  _grams(schema, "agency", v), _phrase("agency_words", _tokens(schema, "agency_words", v))]
    return _any(parts)


def _place(schema: Any, place: Place) -> Q.Query:
    """The reports of ``place``: each of its region fields holds its name."""
    parts = [_grams(schema, name, value) if name in schema else None for name, value in place.fields.items()]
    if any(q is None for q in parts):
        return Q.NullQuery
    return parts[0] if len(parts) == 1 else Q.And(parts)


def _compile_clause(c: Clause, schema: Any) -> Q.Query:
    if c.kind == "text":
        text = _literal(schema, c.variants())
        return _any([text, *(_place(schema, p) for p in c.places)]) if c.places else text
    if c.kind == "field":
        return _any([_grams(schema, c.field or "", v) for v in c.variants()])
    if c.field not in schema:
        return Q.NullQuery
    return ExactRange(c.field, c.low, c.high, startexcl=c.low_exclusive, endexcl=c.high_exclusive)


def compile_query(parsed: ParsedQuery, schema: Any) -> Q.Query:
    """The Whoosh query for ``parsed``, analysed with ``schema``'s own analyzers.

    An empty query is ``Every()``, which also matches non-report documents:
    the caller restricts to ``kind:report``.
    """
    positive, negative = [], []
    for group in parsed.clauses:
        if len(group) == 1 and group[0].negated:
            negative.append(_compile_clause(group[0], schema))
            continue
        alts = [Q.Not(q) if c.negated else q for c in group for q in [_compile_clause(c, schema)]]
        positive.append(alts[0] if len(alts) == 1 else Q.Or(alts))
    base = Q.Every() if not positive else positive[0] if len(positive) == 1 else Q.And(positive)
    if not negative:
        return base
    return Q.AndNot(base, negative[0] if len(negative) == 1 else Q.Or(negative))
