"""Year over year: the projection of the output target (pure) and the SVG chart builder."""

import re
from decimal import Decimal as D

from clusterdesk.core.charts import Chart, trend_chart
from clusterdesk.registry.trends import PROJECTION_FORMULA, output_target, project


def test_projection_misses_the_target_by_the_compound_gap():
    p = project([(2024, D("60")), (2025, D("66"))], 2027, D("90"))
    # g = 66/60 − 1 = 10%; 66 × 1.1² = 79.86 → 79.9; 90 − 79.9 = 10.1
    assert (p.growth, p.projected, p.gap, p.met) == (D("0.1"), D("79.9"), D("10.1"), False)
    assert p.sentence == "按目前增速，2027年目标90亿元将差10.1亿元（按2025年比2024年增长10%推算，预计79.9亿元）。"
    assert p.points == [(2026, D("72.6")), (2027, D("79.9"))]


def test_projection_hits_the_target():
    p = project([(2023, D("50")), (2024, D("60")), (2025, D("70"))], 2027, D("90"))
    # only the last two years count: g = 70/60 − 1; 70 × (7/6)² = 95.28 → 95.3
    assert (p.projected, p.gap, p.met) == (D("95.3"), D("-5.3"), True)
    assert p.sentence == "按目前增速，2027年目标90亿元可以实现（按2025年比2024年增长16.7%推算，预计95.3亿元，超出5.3亿元）。"


def test_projection_with_negative_growth():
    p = project([(2024, D("80")), (2025, D("72"))], 2027, D("90"))
    assert (p.growth, p.projected, p.gap) == (D("-0.1"), D("58.3"), D("31.7"))
    assert "下降10%" in p.sentence and "将差31.7亿元" in p.sentence


def test_projection_over_a_gap_in_the_years_is_per_year():
    p = project([(2022, D("50")), (2024, D("72"))], 2027, D("100"))
    # (72/50)^(1/2) − 1 = 20%/年; 72 × 1.2³ = 124.416
    assert (p.growth, p.projected, p.gap) == (D("0.2"), D("124.4"), D("-24.4"))
    assert "增长20%/年" in p.sentence


def test_projection_without_enough_data_says_why():
    none = project([], 2027, D("90"))
    assert none.projected is None and none.gap is None and none.met is None
    assert none.sentence == "暂无集群产值数据，无法推算2027年目标90亿元能否实现。"
    one = project([(2025, D("70"))], 2027, D("90"))
    assert one.projected is None and one.sentence == "集群产值只有1年数据，至少需要两年才能推算2027年目标90亿元能否实现。"
    no_target = project([(2024, D("60")), (2025, D("66"))], None, None)
    assert no_target.projected is None and "没有集群产值目标" in no_target.sentence
    zero = project([(2024, D("0")), (2025, D("66"))], 2027, D("90"))
    assert zero.projected is None and "不为正数" in zero.sentence


def test_formula_is_stated():
    assert "(1 + g)^(目标年份 − 最近年份)" in PROJECTION_FORMULA


def test_output_target_is_the_output_row_of_the_plan():
    targets = [{"name": "专精特新企业数", "unit": "家", "target": "20", "year": 2027},
               {"name": "中小企业产值占比", "unit": "%", "target": "70", "year": 2027},
               {"name": "集群营业收入", "unit": "亿元", "baseline": "60", "target": "90", "year": 2027}]
    assert output_target(targets) == {"name": "集群营业收入", "target": D("90"), "year": 2027, "unit": "亿元"}
    assert output_target([]) is None and output_target(None) is None


# --- the chart builder -------------------------------------------------------------------------------

def test_chart_has_axes_threshold_and_values_mapped():
    svg = str(trend_chart(Chart("集群产值", "亿元", [(2023, D("40")), (2024, D("50")), (2025, D("80"))],
                                threshold=("门槛≥", D("20")), target=(2027, D("90"), "目标"),
                                projection=[(2026, D("85")), (2027, D("88"))]), width=320, height=180))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert '<g class="axes"' in svg and '<tspan class="axis-unit"' in svg and "（亿元）" in svg
    assert [y for y in re.findall(r'class="tick-x">(\d{4})<', svg)] == ["2023", "2024", "2025", "2026", "2027"]
    assert '<g class="threshold" data-value="20">' in svg and 'stroke-dasharray="6 3"' in svg
    assert '<g class="target" data-value="90">' in svg and "预计88" in svg
    points = {int(y): (float(x), float(yy)) for x, yy, y in
              re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="6" height="6" fill="[^"]+" class="point" data-year="(\d+)"', svg)}
    assert sorted(points) == [2023, 2024, 2025]
    # left to right by year, higher values higher up (smaller y), equal spacing per year
    assert points[2023][0] < points[2024][0] < points[2025][0]
    assert points[2025][1] < points[2024][1] < points[2023][1]
    assert abs((points[2024][0] - points[2023][0]) - (points[2025][0] - points[2024][0])) < 0.2
    # 0 sits on the x axis: 40 is twice as far above it as 20 would be
    axis_y = float(re.search(r'<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="\1"/></g>', svg).group(1))
    threshold_y = float(re.search(r'<g class="threshold"[^>]*><line x1="[\d.]+" y1="([\d.]+)"', svg).group(1))
    assert abs((axis_y - (points[2023][1] + 3)) - 2 * (axis_y - threshold_y)) < 0.5


def test_chart_of_shares_shows_percent():
    svg = str(trend_chart(Chart("中小企业产值占比", "%", [(2024, D("0.625")), (2025, D("0.7"))], percent=True,
                                threshold=("门槛≥", D("0.6")))))
    assert 'data-value="62.5%"' in svg and 'data-value="70%"' in svg and '<g class="threshold" data-value="60%">' in svg


def test_empty_chart_says_no_data():
    svg = str(trend_chart(Chart("集群产值", "亿元", [], threshold=("门槛≥", D("20")))))
    assert "暂无数据" in svg and svg.endswith("</svg>") and 'class="point"' not in svg


def test_chart_escapes_its_text():
    svg = str(trend_chart(Chart("<b>产值</b>", "亿元", [(2025, D("1"))])))
    assert "<b>" not in svg and "&lt;b&gt;" in svg
