"""The basic drawing: a box per Value, a circle per op, one file whose suffix names its format."""

from __future__ import annotations

import shutil
from pathlib import Path

import graphviz
import pytest

import autograd
from autograd import Value


def seed_graph() -> Value:
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    f.label = "f"
    f.backward()
    return f


def test_draw_shows_every_value_and_op() -> None:
    source = autograd.draw(seed_graph()).source
    for text in ("x | data -2.0000 | grad -4.0000", "z | data -4.0000 | grad 3.0000",
                 "f | data -12.0000 | grad 1.0000", 'label="+"', 'label="×"'):
        assert text in source
    assert source.count("shape=record") == 5
    assert source.count("shape=circle") == 2
    assert source.count("->") == 6


def test_same_graph_same_bytes() -> None:
    assert autograd.draw(seed_graph()).source == autograd.draw(seed_graph()).source


def test_labels_are_escaped() -> None:
    v = Value(1.0, label="a|b{c}")
    assert "a\\|b\\{c\\}" in autograd.draw(v).source


def test_draw_options_are_checked() -> None:
    with pytest.raises(TypeError, match="float"):
        autograd.draw(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        autograd.draw(Value(1.0), rankdir="XY")


def test_render_dot_writes_the_source(tmp_path: Path) -> None:
    f = seed_graph()
    path = autograd.render(f, tmp_path / "g.dot")
    assert path.read_text() == autograd.draw(f).source


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                               (".pdf", b"%PDF")])
def test_render_picks_the_format_from_the_suffix(tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = autograd.render(seed_graph(), tmp_path / f"graph{suffix}")
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"graph{suffix}"]


def test_render_refuses_an_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot"):
        autograd.render(Value(1.0), tmp_path / "graph.jpeg")
    assert list(tmp_path.iterdir()) == []


def test_missing_dot_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dot(*args: object, **kwargs: object) -> bytes:
        raise graphviz.ExecutableNotFound(("dot",))

    monkeypatch.setattr(graphviz.Digraph, "pipe", no_dot)
    with pytest.raises(autograd.GraphvizNotFoundError, match="'graphviz' package"):
        autograd.render(seed_graph(), tmp_path / "g.svg")
    assert list(tmp_path.iterdir()) == []
