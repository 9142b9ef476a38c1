"""The widget's build and source, without a browser: the committed build is current and within the size budget,
and the source keeps the rules a browser test would only catch by chance (one global, no HTML sinks, no
``message`` listener, every string in both languages)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("widget_build", ROOT / "widget" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()
SOURCE = build.SOURCE.read_text(encoding="utf-8")


def _code_only(text: str) -> str:
    """The source without comments and string literals (their contents may say anything)."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    text = re.sub(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"", "''", text)
    return re.sub(r"^\s*//.*$|(?<=[;,{}()])\s*//.*$", " ", text, flags=re.MULTILINE)


CODE = _code_only(SOURCE)


def test_the_built_file_is_current() -> None:
    assert build.OUTPUT.exists(), "chatsvc/web/static/widget.js is missing: run `make widget`"
    assert build.OUTPUT.read_text(encoding="utf-8") == build.build(), (
        "chatsvc/web/static/widget.js is stale: run `make widget` and commit it"
    )


def test_the_check_option_tells_a_stale_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "widget.js"
    stale.write_text("/* an older build */\n", encoding="utf-8")
    monkeypatch.setattr(build, "ROOT", tmp_path)
    monkeypatch.setattr(build, "OUTPUT", stale)
    assert build.main(["--check"]) == 1
    assert stale.read_text(encoding="utf-8") == "/* an older build */\n"  # --check writes nothing
    assert build.main([]) == 0
    assert build.main(["--check"]) == 0


def test_the_gzipped_build_fits_the_budget() -> None:
    size = build.gzipped_size(build.OUTPUT.read_text(encoding="utf-8"))
    print(f"widget.js: {size:,} bytes gzipped ({size / 1024:.1f} KiB; budget {build.BUDGET_GZIPPED // 1024} KiB)")
    assert size <= build.BUDGET_GZIPPED


def test_the_build_only_strips_comments_and_space() -> None:
    built = build.OUTPUT.read_text(encoding="utf-8")
    for word in ("window.Chatsvc", "'use strict'", "attachShadow", "adoptedStyleSheets", "data-cs"):
        assert word in built


def test_the_source_is_one_strict_function_that_defines_only_chatsvc() -> None:
    code = CODE.strip()
    assert code.startswith("(function () {"), "the script must be one immediately invoked function"
    assert code.endswith("})();")
    assert code.count("(function () {\n  ''") == 1, "'use strict' must open the function"
    assigned = set(re.findall(r"\b(?:window|self|globalThis|top|parent)\s*\.\s*([A-Za-z_$][\w$]*)\s*=(?!=)", code))
    assert assigned == {"Chatsvc"}
    assert not re.search(r"\b(?:window|globalThis|self)\s*\[", code)
    assert "defineProperty(window" not in code


def test_the_source_has_no_html_sink_and_no_message_listener() -> None:
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setTimeout('", 'setTimeout("', "srcdoc", "createContextualFragment"):
        assert sink not in CODE, sink
    assert not re.search(r"setAttribute\(\s*'(?:style|on\w*|srcdoc)'", SOURCE)  # inline style breaks under a CSP
    assert not re.search(r"addEventListener\(\s*'message'", SOURCE)
    assert "onmessage" not in CODE.replace("sock.onmessage", "")  # the WebSocket's own handler only


def _strings(lang: str) -> set[str]:
    block = re.search(lang + r": \{(.*?)\n    \}", SOURCE, flags=re.DOTALL)
    assert block is not None, lang
    return set(re.findall(r"(\w+):", _code_only(block.group(1))))


def test_every_string_is_in_english_and_french() -> None:
    english, french = _strings("en"), _strings("fr")
    assert len(english) > 50
    assert english == french, {"only in en": english - french, "only in fr": french - english}
