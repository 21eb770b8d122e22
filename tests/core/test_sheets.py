"""Row heights of the .xlsx documents: a wrapped cell gets the lines it needs."""

from openpyxl import Workbook
from openpyxl.styles import Alignment

from clusterdesk.core.sheets import LINE_POINTS, display_width, fit_rows, lines_needed


def test_cjk_characters_take_two_columns():
    assert display_width("敦化abc") == 7
    assert lines_needed("近三年集群产值年均增速未达到10%，三年发展规划中的产值目标未完成", 30) == 3
    assert lines_needed("一行\n两行", 30) == 2


def test_fit_rows_sizes_wrapped_rows_only_by_their_longest_cell():
    wb = Workbook()
    ws = wb.active
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 40
    wrap = Alignment(wrap_text=True)
    ws["A1"], ws["B1"] = "短", "很长的原因" * 10
    ws["A2"], ws["B2"] = "短", "短"
    ws["A3"] = "不换行的长文字" * 10  # not wrapped: it overflows, the row stays one line
    for cell in (ws["A1"], ws["B1"], ws["A2"], ws["B2"]):
        cell.alignment = wrap
    fit_rows(ws, 1, 3)
    assert ws.row_dimensions[1].height >= 3 * LINE_POINTS  # 100 columns of text in a 39-column cell
    assert ws.row_dimensions[2].height == ws.row_dimensions[3].height < 2 * LINE_POINTS  # one line each
