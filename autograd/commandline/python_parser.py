"""Python's parser, made to read two kinds of formula it refuses alone: lines, and long sums.

A formula may span lines: they are read as one line. A sum of many terms (x + x + ... + x) is
parsed flat, but Python builds its tree as deep as it has terms and stops at a few thousand;
such a sum is parsed a part at a time and the parts joined into the tree Python would build.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
import warnings

PART = 200  # terms of a long sum parsed at a time: a tree this deep every Python builds

_BLANK = r"(?:[ \t\f]|\\\n)*"  # spaces, and line breaks after a backslash
_SKIP_BLANK = re.compile(_BLANK)
_TOKEN = re.compile(_BLANK + r"""(?:
    (?P<number>(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+
        |(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][-+]?\d(?:_?\d)*)?)[jJ]?)
    |(?P<name>\w+)
    |(?P<open>[(\[{])
    |(?P<close>[)\]}])
    |(?P<sign>[-+])
    |(?P<comma>,)
    |(?P<operator>\*\*|//|[*/%@~.])
    |(?P<other>.)
)""", re.VERBOSE | re.DOTALL)
_OPERATORS = {"+": ast.Add, "-": ast.Sub}


def join_lines(source: str) -> str:
    """source as one logical line: a backslash ends each line but the last (after its comment,
    dropped), so every line and column stays where it was."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    comments = _comment_columns(source) if "#" in source else {}
    lines = source.split("\n")
    for i, line in enumerate(lines[:-1]):
        line = line[:comments.get(i)]
        lines[i] = line if line.endswith("\\") else line + " \\"
    return "\n".join(lines)


def _comment_columns(source: str) -> dict[int, int]:
    """Where a comment starts on each line that has one (a # in a string starts none), as
    Python's tokenizer finds them, up to the first token it cannot read."""
    columns = {}
    bracketed = f"({source}\n)"  # in brackets, lines need no backslash and indents no order
    try:
        for token in tokenize.generate_tokens(io.StringIO(bracketed).readline):
            if token.type == tokenize.COMMENT:
                row, column = token.start
                columns[row - 1] = column - 1 if row == 1 else column
    except (tokenize.TokenError, SyntaxError):
        pass  # the parser reports the error; the comments before it are dropped all the same
    return columns


def parse_expression(text: str) -> ast.Expression:
    """text's tree as Python's parser reads it, a sum too long for Python read in parts.

    Raises SyntaxError, or RecursionError or MemoryError for a formula nested too deeply.
    """
    try:
        return _parse(text)
    except (RecursionError, MemoryError):
        tree = _parse_sum(text)
        if tree is None:
            raise
        return tree


def _parse(text: str) -> ast.Expression:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Python's SyntaxWarnings would print a second line
        return ast.parse(text, mode="eval")


def _parse_sum(text: str) -> ast.Expression | None:
    """The tree of text if it is a sum, its terms parsed PART at a time; None if it is not (or
    not one Python can read: only a formula too deep for Python comes here, perhaps broken)."""
    try:
        return _parse_parts(text)
    except SyntaxError:
        return None


def _parse_parts(text: str) -> ast.Expression | None:
    """_parse_sum's work, SyntaxError raised."""
    signs = _binary_signs(text)
    if not signs:
        return None
    bounds = [-1, *signs, len(text)]  # term k lies between bounds[k] and bounds[k + 1]

    def term_start(k: int) -> int:
        return _skip_blank(text, bounds[k] + 1)

    def terms_end(k: int) -> int:  # where the terms up to k - 1 end
        return _end_of(text, term_start(k - 1), bounds[k])

    terms = len(bounds) - 1
    tree = _parse_part(text, 0, terms_end(min(PART, terms)))
    for first in range(PART, terms, PART):
        last = min(first + PART, terms)  # this part: terms first to last - 1
        part = _parse_part(text, term_start(first), terms_end(last))
        operator = _OPERATORS[text[bounds[first]]]()
        joined = _join(tree, operator, part, last - first - 1, _place(text, terms_end(first + 1)))
        if joined is None:
            return None
        tree = joined
    return ast.Expression(tree)


def _binary_signs(text: str) -> list[int]:
    """Where text's binary + and - outside brackets are, if nothing binds looser than they do
    (comparisons, and, if, lambda, ...); otherwise none."""
    signs = []
    depth = 0
    previous = ""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or ""
        if (kind == "other" or (kind == "comma" and depth == 0)
                or (kind == "name" and keyword.iskeyword(match[kind]))):
            return []
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "sign" and depth == 0 and previous in ("number", "name", "close"):
            signs.append(match.start(kind))
        previous = kind
    return signs


def _skip_blank(text: str, index: int) -> int:
    """Where the first character of text from index on that is not blank is."""
    match = _SKIP_BLANK.match(text, index)
    return match.end() if match else index


def _end_of(text: str, start: int, end: int) -> int:
    """Where text[start:end] ends without its blanks at the end."""
    return start + len(text[start:end].rstrip(" \t\f\\\n"))


def _place(text: str, index: int) -> tuple[int, int]:
    """The line (from 1) and the column of text[index] as ast counts them (in UTF-8 bytes)."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, len(text[line_start:index].encode("utf-8"))


def _parse_part(text: str, start: int, end: int) -> ast.expr:
    """The tree of text[start:end], its places those in text."""
    tree = _parse(text[start:end]).body
    line, column = _place(text, start)
    lines = line - 1
    stack = [tree]
    while stack:  # ast.walk, for expressions only
        node = stack.pop()
        if node.lineno == 1:
            node.col_offset += column
        if node.end_lineno == 1 and node.end_col_offset is not None:
            node.end_col_offset += column
        node.lineno += lines
        node.end_lineno = None if node.end_lineno is None else node.end_lineno + lines
        for name in node._fields:
            child = getattr(node, name)
            if isinstance(child, ast.expr):
                stack.append(child)
            elif isinstance(child, list):
                stack += [item for item in child if isinstance(item, ast.expr)]
    return tree


def _join(left: ast.expr, operator: ast.operator, part: ast.expr, depth: int,
          first_end: tuple[int, int]) -> ast.expr | None:
    """left (op) part, part a sum of depth + 1 terms: left joins part's first term (which ends
    at first_end), as Python groups a sum from the left. None if part is not such a sum."""
    spine: list[ast.BinOp] = []
    node = part
    for _ in range(depth):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub)):
            return None
        spine.append(node)
        node = node.left
    joined = ast.BinOp(left, operator, node, lineno=left.lineno, col_offset=left.col_offset,
                       end_lineno=first_end[0], end_col_offset=first_end[1])
    if not spine:
        return joined
    for above in spine:  # each starts where the whole sum does
        above.lineno, above.col_offset = left.lineno, left.col_offset
    spine[-1].left = joined
    return part
