"""``kernsim.analysis.html`` (``kernsim report``): a self-contained HTML page with embedded
PNG plots."""

import base64
import re


def test_report_writes_html_with_embedded_png(quickstart, kernsim, tmp_path):
    target = tmp_path / "page.html"
    res = kernsim("report", quickstart, "--out", target)
    assert res.returncode == 0, res.stderr
    assert "page.html" in res.stdout
    page = target.read_text(encoding="utf-8")
    assert '<img alt=' in page and "src='data:image/png;base64," in page
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert len(images) >= 5  # throughput, response mean and p99, latency, CPU, locks
    assert all(base64.b64decode(img)[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from elsewhere


def test_report_summary_table_has_every_design_point_and_ci(quickstart):
    from kernsim.analysis.html import render_report
    from kernsim.experiment.store import Store, load_results

    df = load_results(quickstart)
    page = render_report(df, Store(quickstart).manifest())
    assert "<h1>kernsim report: quickstart</h1>" in page
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == df["design_point"].nunique() == 8
    assert re.search(r"<td class=''>[\d.e+]+ \[[\d.e+]+, [\d.e+]+\]</td>", body)
    for title in ("throughput against system.cores", "latency distribution",
                  "CPU time breakdown", "lock waits"):
        assert f"<h3>{title}</h3>" in page


def test_report_default_path_is_in_the_folder(quickstart):
    from kernsim.analysis.html import build_report

    path = build_report(quickstart)
    assert path == quickstart / "report.html" and path.stat().st_size > 10_000
