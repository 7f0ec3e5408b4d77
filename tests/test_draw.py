"""Drawings: a box per Value, a circle per op, the options, golden DOT files and the SVG."""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import graphviz
import pytest
from golden_files import assert_golden
from hypothesis import given, settings
from hypothesis import strategies as st
from networks import lecture_network, scoped_network, seed_graph

import autograd
from autograd import Domain, Op, Value, gradient_colour, scope
from autograd.views.draw import ROLE_FILLS, _command, fixed_dates

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")


def attrs_of(source: str, name: str) -> str:
    """The attribute list of one node statement in DOT source."""
    match = re.search(rf"^\s*{name} \[(.*)\]$", source, re.MULTILINE)
    assert match is not None, name
    return match.group(1)


def edge_labels(source: str, tail: str, head: str) -> list[str]:
    """The labels of the edges tail -> head in DOT source."""
    return re.findall(rf'^\s*{tail} -> {head} \[label="?([^" ]+)"?', source, re.MULTILINE)


def test_draw_shows_every_value_and_op() -> None:
    source = autograd.draw(seed_graph()).source
    for text in ("x | data -2.0000 | grad -4.0000", "z | data -4.0000 | grad 3.0000",
                 "f | data -12.0000 | grad 1.0000", 'label="+"', 'label="×"'):
        assert text in source
    assert source.count("shape=record") == 5
    assert source.count("shape=circle") == 2
    assert source.count("->") == 6


def test_precision_sets_the_decimals() -> None:
    source = autograd.draw(seed_graph(), precision=1).source
    assert "x | data -2.0 | grad -4.0" in source


def test_labels_are_escaped() -> None:
    v = Value(1.0, label="a|b{c}")
    assert "a\\|b\\{c\\}" in autograd.draw(v).source


def test_draw_options_are_checked() -> None:
    with pytest.raises(TypeError, match="float"):
        autograd.draw(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        autograd.draw(Value(1.0), rankdir="XY")
    with pytest.raises(ValueError, match="precision"):
        autograd.draw(Value(1.0), precision=-1)
    with pytest.raises(ValueError, match="max_nodes"):
        autograd.draw(Value(1.0), max_nodes=0)


def test_roles_colour_the_boxes() -> None:
    error, weights = lecture_network()
    source = autograd.draw(error, parameters=weights).source
    order = autograd.topological_order(error)
    seen = set()
    for i, node in enumerate(order):
        if node is error:
            role = "output"
        elif node.op_info is not None:
            role = "intermediate"
        elif any(node is w for w in weights):
            role = "parameter"
        else:
            role = "input" if node.label else "constant"  # b1, b2 are not among `parameters`
        assert f'fillcolor="{ROLE_FILLS[role]}"' in attrs_of(source, f"v{i}")
        seen.add(role)
    assert seen == set(ROLE_FILLS)


def test_colour_by_grad_follows_sign_and_size() -> None:
    assert gradient_colour(0.0, 2.0) == "#ffffff"
    assert gradient_colour(float("nan"), 2.0) == "#bdbdbd"
    strong, weak = gradient_colour(2.0, 2.0), gradient_colour(0.02, 2.0)
    red = gradient_colour(-2.0, 2.0)
    assert int(strong[5:7], 16) > int(strong[1:3], 16)  # positive: more blue than red
    assert int(red[1:3], 16) > int(red[5:7], 16)  # negative: more red than blue
    assert int(weak[1:3], 16) > int(strong[1:3], 16)  # smaller |grad|: paler
    f = seed_graph()
    source = autograd.draw(f, color_by_grad=True).source
    order = autograd.topological_order(f)
    for i, node in enumerate(order):
        assert f'fillcolor="{gradient_colour(node.grad, 4.0)}"' in attrs_of(source, f"v{i}")
    assert "blue for a positive gradient" in source


def test_an_infinite_gradient_is_coloured_in_full_whatever_the_others() -> None:
    x = Value(0.0, label="x")
    f = x.sqrt()
    f.backward()  # d sqrt(x)/dx = inf at 0, and no gradient is finite but f's own 1
    assert x.grad == math.inf
    assert gradient_colour(math.inf, 0.0) == gradient_colour(1.0, 1.0) == "#4d85bd"
    assert gradient_colour(-math.inf, 1.0) == gradient_colour(-1.0, 1.0)
    assert 'fillcolor="#4d85bd"' in autograd.draw(f, color_by_grad=True).source


def test_edge_labels_are_the_op_tables_local_derivatives() -> None:
    x, y = Value(0.5, label="x"), Value(-1.0, label="y")
    out = (x * y).tanh()
    source = autograd.draw(out, edge_derivatives=True, precision=3).source
    order = autograd.topological_order(out)
    index = {node: i for i, node in enumerate(order)}
    product = out.parents[0]
    p = index[product]
    # d(x*y)/dx = y, d(x*y)/dy = x, d tanh(a)/da = 1 - tanh(a)^2: numbers here, rules in ops.py
    assert edge_labels(source, f"v{index[x]}", f"op{p}") == ["-1"]  # trailing zeros dropped
    assert edge_labels(source, f"v{index[y]}", f"op{p}") == ["0.5"]
    assert edge_labels(source, f"v{p}", f"op{index[out]}") == ["0.786"]  # 1 - tanh(-0.5)**2


def test_edge_labels_for_a_repeated_input() -> None:
    x = Value(3.0, label="x")
    source = autograd.draw(x * x, edge_derivatives=True).source
    assert edge_labels(source, "v0", "op1") == ["3", "3"]


def test_clusters_follow_the_scopes() -> None:
    loss, _ = scoped_network()
    source = autograd.draw(loss, cluster_modules=True).source
    labels = re.findall(r'label="(layers[^"]*)"', source)
    assert labels == ["layers.0", "layers.0.neurons.1", "layers.0.neurons.0",
                      "layers.1", "layers.1.neurons.0"]
    assert source.count("subgraph cluster_") == 5
    flat = autograd.draw(loss).source
    assert "subgraph" not in flat


def test_a_neurons_weights_join_its_cluster_and_shared_inputs_stay_out() -> None:
    x = Value(2.0, label="x")
    w0, w1 = Value(0.5, label="w0"), Value(-0.5, label="w1")
    with scope("layers.0"):
        with scope("layers.0.neurons.0"):
            a = (w0 * x).tanh()
        with scope("layers.0.neurons.1"):
            b = (w1 * x).tanh()
    source = autograd.draw(a + b, cluster_modules=True).source
    blocks = source.split("subgraph ")
    neuron0 = next(block for block in blocks if 'label="layers.0.neurons.0"' in block)
    neuron1 = next(block for block in blocks if 'label="layers.0.neurons.1"' in block)
    assert "w0 |" in neuron0 and "w1 |" not in neuron0
    assert "w1 |" in neuron1
    assert "x |" not in neuron0 and "x |" not in neuron1 and "x |" in blocks[0]


def test_a_graph_over_the_limit_is_refused_at_once() -> None:
    x = Value(1.0)
    for _ in range(50):
        x = x * 1.5
    with pytest.raises(autograd.GraphTooLargeError, match="more than max_nodes=100 values"):
        autograd.draw(x, max_nodes=100)
    assert "shape=record" in autograd.draw(x, max_nodes=101).source


GOLDEN_CASES = {
    "seed_default": lambda: autograd.draw(seed_graph()),
    "seed_edges_tb": lambda: autograd.draw(seed_graph(), precision=2, rankdir="TB",
                                           edge_derivatives=True),
    "lecture_grad_colours": lambda: _lecture_drawing(),
    "scoped_clusters": lambda: autograd.draw(scoped_network()[0], cluster_modules=True,
                                             parameters=scoped_network()[1]),
}


def _lecture_drawing() -> autograd.Drawing:
    error, weights = lecture_network()
    error.backward()
    return autograd.draw(error, edge_derivatives=True, color_by_grad=True, parameters=weights)


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_golden_dot_files(case: str) -> None:
    assert_golden(case, GOLDEN_CASES[case]().source)


def test_render_dot_writes_the_source(tmp_path: Path) -> None:
    f = seed_graph()
    path = autograd.render(f, tmp_path / "g.dot", edge_derivatives=True)
    assert path.read_text() == autograd.draw(f, edge_derivatives=True).source


@needs_dot
@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                               (".pdf", b"%PDF")])
def test_render_picks_the_format_from_the_suffix(tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = autograd.render(seed_graph(), tmp_path / f"graph{suffix}")
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"graph{suffix}"]


@needs_dot
def test_the_same_graph_renders_to_the_same_svg_bytes(tmp_path: Path) -> None:
    first = autograd.render(_lecture_drawing_root(), tmp_path / "a.svg", cluster_modules=True)
    second = autograd.render(_lecture_drawing_root(), tmp_path / "b.svg", cluster_modules=True)
    assert first.read_bytes() == second.read_bytes()
    assert b'id="v0"' in first.read_bytes()


@needs_dot
def test_the_same_graph_renders_to_the_same_pdf_bytes(tmp_path: Path) -> None:
    first = autograd.render(seed_graph(), tmp_path / "a.pdf").read_bytes()
    second = autograd.render(seed_graph(), tmp_path / "b.pdf").read_bytes()
    assert first == second
    assert b"/CreationDate (D:19700101000000" in first  # not the time of rendering
    start = int(first.rsplit(b"startxref", 1)[1].split()[0])
    assert first[start:].startswith(b"xref")  # the offsets still point where they did
    entries = first[start:].split(b"trailer")[0].splitlines()[3:]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry.split()[0])
        assert first[offset:].startswith(b"%d 0 obj" % number)


def test_a_pdf_date_becomes_the_fixed_date_in_as_many_bytes() -> None:
    pdf = b"<< /CreationDate (D:20261122014021+01'00') /ModDate (D:20261122014022Z) >>"
    assert fixed_dates(pdf) == (
        b"<< /CreationDate (D:19700101000000+00'00') /ModDate (D:19700101000000Z) >>")


def _lecture_drawing_root() -> Value:
    error, _ = lecture_network()
    error.backward()
    return error


def test_render_refuses_an_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot"):
        autograd.render(Value(1.0), tmp_path / "graph.jpeg")
    assert list(tmp_path.iterdir()) == []


def test_missing_dot_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(autograd.GraphvizNotFoundError, match="'graphviz' package"):
        autograd.render(seed_graph(), tmp_path / "g.svg")
    assert list(tmp_path.iterdir()) == []
    assert "x | data -2.0000" in autograd.draw(seed_graph()).source


@needs_dot
def test_jupyter_shows_the_drawing_inline() -> None:
    bundle = autograd.draw(seed_graph())._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert isinstance(svg, str) and "<svg" in svg and "data &#45;12.0000" in svg


def test_jupyter_shows_the_dot_text_when_dot_is_missing(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    bundle = autograd.draw(seed_graph())._repr_mimebundle_()
    text = bundle["text/plain"]
    assert isinstance(text, str)
    assert "'graphviz' package" in text and "digraph {" in text


# --- a layout that takes too long ---


def one_input_feeding_every_step(steps: int = 100) -> Value:
    """x · x · … · x: x feeds every step, so dot's edges cross and it needs minutes for 100."""
    x = Value(0.3, label="x")
    y = x
    for _ in range(steps):
        y = y * x
    return y


def dot_children() -> list[str]:
    """This process's children still running Graphviz (or dead but not waited for)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # it ended while we looked
        name = text[text.index("(") + 1:text.rindex(")")]
        parent = int(text[text.rindex(")") + 2:].split()[1])
        if parent == os.getpid() and name == "dot":
            found.append(stat.parent.name)
    return found


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="finds child processes through Linux's /proc")


@needs_dot
@needs_proc
def test_a_layout_that_takes_too_long_is_stopped(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(autograd.GraphTooLargeError,
                       match=r"within timeout=0.5 seconds and was stopped: draw a smaller graph"
                             r".*engine='sfdp'"):
        autograd.render(one_input_feeding_every_step(), tmp_path / "g.svg", timeout=0.5)
    assert time.monotonic() - start < 10
    assert dot_children() == []
    assert list(tmp_path.iterdir()) == []


@needs_dot
@needs_proc
def test_an_interrupt_stops_the_layout() -> None:
    drawing = autograd.draw(one_input_feeding_every_step())
    # Ctrl-C as an interactive Python gets it, also where this run was started ignoring SIGINT
    # (in the background of a non-interactive shell, as a CI job may be)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupt = threading.Timer(0.3, signal.pthread_kill,
                                (threading.get_ident(), signal.SIGINT))
    interrupt.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            drawing.pipe(format="svg")
    finally:
        interrupt.cancel()
        signal.signal(signal.SIGINT, handler)
    assert dot_children() == []


KILLED_WHILE_DRAWING = """
import os, signal, sys, threading, time
sys.path.insert(0, {tests!r})
import autograd
from test_draw import dot_children, one_input_feeding_every_step

def kill_this_process_once_dot_runs():
    while not dot_children():
        time.sleep(0.01)
    print(dot_children()[0], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

threading.Thread(target=kill_this_process_once_dot_runs).start()
autograd.draw(one_input_feeding_every_step(), timeout=0.4).pipe(format="svg")
"""


@needs_dot
@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the kernel's processor-time limit is set through Linux's prlimit")
def test_dot_stops_by_itself_when_python_is_killed() -> None:
    script = KILLED_WHILE_DRAWING.format(tests=str(Path(__file__).parent))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60,
                          check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    stat = Path(f"/proc/{int(done.stdout)}/stat")
    deadline = time.monotonic() + 60  # it may use 0.4 + 0.5 s rounded up of processor time
    while stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline, "dot outlived python"
        time.sleep(0.05)


@needs_dot
def test_jupyter_shows_why_a_layout_was_stopped() -> None:
    bundle = autograd.draw(one_input_feeding_every_step(), timeout=0.3)._repr_mimebundle_()
    assert "within timeout=0.3 seconds and was stopped" in str(bundle["text/plain"])


@pytest.mark.parametrize("timeout", [0, -1.0, math.nan, math.inf, 1e9, True, "1"])
def test_the_timeout_is_a_positive_number_of_seconds(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds"):
        autograd.draw(Value(1.0), timeout=timeout)  # type: ignore[arg-type]


@needs_dot
def test_render_drawing_lays_out_a_plain_graphviz_graph(tmp_path: Path) -> None:
    for graph in (graphviz.Digraph(), graphviz.Graph()):
        graph.edge("a", "b")
        svg = autograd.render_drawing(graph, tmp_path / "g.svg").read_text()
        assert "<svg" in svg and "<title>a</title>" in svg


@pytest.mark.parametrize("not_a_graph", ["digraph { a -> b }", graphviz.Source("digraph {}")])
def test_render_drawing_says_what_it_expects(tmp_path: Path, not_a_graph: object) -> None:
    with pytest.raises(TypeError, match=r"render_drawing expects a Drawing \(what draw\(\) "
                                        r"returns\) or a graphviz.Digraph or graphviz.Graph, "
                                        rf"got {type(not_a_graph).__name__}$"):
        autograd.render_drawing(not_a_graph, tmp_path / "g.svg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("options", [
    {}, {"renderer": "cairo"}, {"renderer": "cairo", "formatter": "cairo"},
    {"neato_no_op": True}, {"neato_no_op": 2},
    {"renderer": "svg", "formatter": "core", "neato_no_op": False},
])
def test_a_layout_runs_the_command_graphviz_would(options: dict[str, Any]) -> None:
    theirs = graphviz.backend.dot_command.command("neato", "svg", **options)
    assert _command("svg", "neato", **{"renderer": None, "formatter": None,
                                       "neato_no_op": None, **options}) == list(map(str, theirs))


def test_a_layout_refuses_what_graphviz_refuses() -> None:
    with pytest.raises(ValueError, match="no renderer 'ink'"):
        autograd.draw(seed_graph()).pipe(format="svg", renderer="ink")
    with pytest.raises(graphviz.RequiredArgumentError, match="formatter given without renderer"):
        autograd.draw(seed_graph()).pipe(format="svg", formatter="cairo")


@needs_dot
def test_pipe_takes_graphviz_parameters() -> None:
    drawing = autograd.draw(seed_graph())
    cairo: list[dict[str, Any]] = [{"renderer": "cairo"},
                                   {"renderer": "cairo", "formatter": "cairo"}]
    for options in cairo:
        ours = drawing.pipe("svg", **options)
        assert ours == graphviz.Digraph.pipe(drawing.copy(), "svg", **options)
        assert ours != drawing.pipe("svg")  # cairo writes SVG of its own


@needs_dot
def test_pipe_shows_what_graphviz_says_unless_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    drawing = autograd.draw(seed_graph())
    drawing.node("odd", shape="no_such_shape")
    drawing.pipe("svg", quiet=True)
    assert capfd.readouterr().err == ""
    drawing.pipe("svg")
    assert "unknown shape no_such_shape" in capfd.readouterr().err


@needs_dot
def test_a_failed_layout_says_what_graphviz_said() -> None:
    drawing = autograd.draw(seed_graph())
    drawing.body.append("  v0 -> \n")  # a syntax error
    with pytest.raises(graphviz.CalledProcessError, match="syntax error"):
        drawing.pipe(format="svg")


# --- text that could break the outputs ---


def test_control_characters_in_a_label_are_drawn_as_escapes() -> None:
    x = Value(1.0, label="a\x00b\x1b[31m\tc\x85\ud800\uffff")
    source = autograd.draw(x * 2.0).source
    assert "a\\\\x00b\\\\x1b[31m\\\\tc\\\\x85\\\\ud800\\\\uffff" in source
    unshown = "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"  # not \t: it indents DOT
    assert not re.search(unshown, source)


def test_a_newline_in_a_label_is_a_line_break() -> None:
    x = Value(1.0, label="first line\nsecond line")
    assert "{ first line\\nsecond line | data" in autograd.draw(x).source


@needs_dot
def test_a_newline_in_a_label_is_shown_on_two_lines() -> None:
    x = Value(1.0, label="first line\nsecond line")
    svg = ElementTree.fromstring(autograd.draw(x * 2.0).pipe(format="svg"))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "first line" in texts and "second line" in texts


def test_a_scope_name_with_a_control_character_is_refused() -> None:
    for name in ("layer\x00", "a\nb", "\x1b[2J", "\x85"):
        with pytest.raises(ValueError, match="a scope's name must not hold control characters"
                           ), scope(name):
            pass
    with scope("fine"):
        assert (Value(1.0) * 2.0).scopes == ("fine",)  # the failed scope left nothing open


any_text = st.text(st.characters(exclude_categories=()), max_size=12)  # controls, surrogates
names = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12).filter(
    lambda name: "\ufffe" not in name and "\uffff" not in name)


@needs_dot
@settings(max_examples=25)
@given(label=any_text, symbol=any_text.filter(bool), name=names)
def test_any_label_symbol_and_scope_give_well_formed_svg(label: str, symbol: str,
                                                         name: str) -> None:
    braces_kept = symbol.replace("{", "{{").replace("}", "}}")
    op = Op("shown", braces_kept, 1, lambda x: x, lambda x, out: (1.0,), (Domain(),))
    x = Value(1.0, label=label)
    with scope(name):
        y = op(x) * 2.0
    y.label = label
    svg = autograd.draw(y, cluster_modules=True).pipe(format="svg")
    ElementTree.fromstring(svg)  # a ParseError unless it is well-formed XML
