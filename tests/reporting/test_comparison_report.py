"""Rendering the comparison report: tables, verdict words, anchors, skipped reasons, run ids."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from dlpipe.reporting.comparison_data import (
    AnchorRow,
    FamilySection,
    Figure,
    MetricRow,
    Report,
    RunRef,
    SkippedItem,
    StageTime,
    TuningSection,
)
from dlpipe.reporting.comparison_report import (
    duration,
    markdown_cell,
    number,
    p_equals,
    p_value,
    render_html,
    render_summary,
)

RUN = RunRef("train_stock_lstm", "a17aea0831b94d21bac0510c41ba378b", "2", 5.25)
REASON = "no images: 0 people with faces"


def _report() -> Report:
    stocks = FamilySection(
        key="stock_lstm",
        title="Stock prices",
        status="ok",
        model="LSTM",
        baseline="persistence",
        split="test",
        split_text="the test split",
        test="Diebold-Mariano test",
        rows=(MetricRow("rmse", 19.93, 19.96, "lower"), MetricRow("mae", 13.1, 12.98, "lower")),
        p_value=0.4842,
        verdict=0,
        verdict_words="no significant difference",
        anchors=(
            AnchorRow(
                name="I-AutoRec <d2l>",
                metric="RMSE",
                published=0.898,
                ours=0.8844,
                ours_label="best autoencoder",
                source="Dive into Deep Learning",
                same_metric=True,
                same_data=False,
                note="random 90/10",
            ),
        ),
        figures=(Figure("stocks/forecast.png", "Forecasts <on test days>", RUN, wide=True),),
        run=RUN,
    )
    faces = FamilySection(
        key="faces",
        title="Faces",
        status="skipped",
        model="embedding",
        baseline="CNN",
        split="test",
        split_text="the test split",
        test="McNemar",
        reason=REASON,
    )
    vae = FamilySection(
        key="vae",
        title="VAE",
        status="ok",
        model="this configuration",
        baseline="784-400-20",
        split="test",
        split_text="the test split",
        test="paired t-test",
        rows=(MetricRow("neg_elbo", 99.03, 105.6, "lower"),),
        p_value=0.0,
        verdict=1,
        verdict_words="significantly better",
    )
    tuning = (
        TuningSection(
            family="stock_lstm",
            status="tuned",
            default_val=0.021,
            tuned_val=0.019,
            default_test=19.93,
            tuned_test=19.8,
            gain=0.13,
            metric="val/rmse",
            figures=(Figure("tuning/stock_lstm/history.png", "Optimisation history", RUN),),
        ),
        TuningSection(family="gan", status="not tuned yet"),
    )
    return Report(
        families=(stocks, faces, vae),
        optimizers=None,
        search=None,
        tuning=tuning,
        stage_times=(StageTime("train_stock_lstm", 5.25, RUN), StageTime("train_vae", 131, RUN)),
        skipped=(SkippedItem("Faces, stage crawl_face_images", REASON),),
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _rows(html: str, table_class: str) -> list[list[str]]:
    """Cell texts of each body row of the first table with that class."""
    table = re.search(rf'<table class="{table_class}">(.*?)</table>', html, re.S)
    assert table, table_class
    body = table.group(1).split("<tbody>")[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in rows
    ]


def test_the_headline_table_has_each_family_its_figures_and_verdict_in_words() -> None:
    html = render_html(_report())
    rows = _rows(html, "headline")
    assert rows[0] == [
        "Stock prices",
        "LSTM",
        "persistence",
        "rmse (test, lower is better)",
        "19.93",
        "19.96",
        "0.48",
        "no significant difference",
    ]
    assert rows[1] == ["Faces", f"skipped: {REASON}"]
    assert rows[2][-2:] == ["< 1e-300", "significantly better"]
    assert 'class="verdict v1"' in html and 'class="verdict v0"' in html


def test_anchors_say_whether_they_are_comparable_and_text_is_escaped() -> None:
    html = render_html(_report())
    rows = _rows(html, "anchors")
    assert rows == [
        [
            "I-AutoRec <d2l>",
            "RMSE",
            "0.898",
            "best autoencoder",
            "0.8844",
            "yes",
            "no",
            "Dive into Deep Learning; random 90/10",
        ]
    ]
    assert "<d2l>" not in html and "<on test days>" not in html  # autoescaped


def test_every_figure_and_stage_shows_its_run_id_with_the_ui_address() -> None:
    html = render_html(_report())
    parser = _Tags()
    parser.feed(html)
    images = [attrs["src"] for tag, attrs in parser.tags if tag == "img"]
    assert images == ["stocks/forecast.png", "tuning/stock_lstm/history.png"]
    figures = [attrs.get("class") for tag, attrs in parser.tags if tag == "figure"]
    assert figures == ["wide", None]
    links = [attrs.get("href", "") for tag, attrs in parser.tags if tag == "a"]
    url = "http://127.0.0.1:5000/#/experiments/2/runs/a17aea0831b94d21bac0510c41ba378b"
    assert links.count(url) >= 4  # the family, its figure, the tuning figure, the stage times
    assert "make ui" in html
    # Nothing that a browser would fetch from elsewhere: no scripts, stylesheets or fonts.
    assert not [t for t, a in parser.tags if t in ("script", "iframe")]
    assert not [a for t, a in parser.tags if t == "link" and a.get("rel") == "stylesheet"]


def test_stage_times_skipped_reasons_and_tuning() -> None:
    html = render_html(_report())
    assert "5.2 s" in html and "2 min 11 s" in html and "2 min 16 s" in html  # and the total
    assert REASON in html.split('id="skipped"')[1]
    assert "Not tuned yet: gan." in html
    tuning = _rows(html, "tuning")
    assert tuning[0][:9] == [
        "stock_lstm",
        "tuned",
        "val/rmse",
        "0.021",
        "0.019",
        "19.93",
        "19.8",
        "0.13",
        "",
    ]
    assert tuning[1][1] == "not tuned yet"


def test_the_summary_carries_the_same_headline_for_a_git_host() -> None:
    summary = render_summary(_report())
    lines = summary.splitlines()
    assert (
        "| Stock prices | LSTM | persistence | rmse (test, lower is better) | 19.93 | 19.96 | 0.48 "
        "| no significant difference |"
    ) in lines
    assert f"| Faces | skipped: {REASON} | | | | | | |" in lines
    assert "| stock_lstm | tuned | val/rmse | 0.021 | 0.019 | 19.93 | 19.8 | 0.13 |  |" in lines
    assert f"- Faces, stage crawl_face_images: {REASON}" in lines
    assert "[index.html](index.html)" in summary


def test_number_formats() -> None:
    assert [number(None), number(float("nan")), number(10), number(0.123456)] == [
        "—",
        "—",
        "10",
        "0.1235",
    ]
    assert [p_value(0.0), p_value(2.59e-49), p_value(0.4842)] == ["< 1e-300", "2.6e-49", "0.48"]
    assert [p_equals(0.0), p_equals(0.23)] == ["p < 1e-300", "p = 0.23"]
    assert [duration(5.25), duration(131), duration(None)] == ["5.2 s", "2 min 11 s", "—"]
    assert markdown_cell("a | b\nc") == "a \\| b c"
