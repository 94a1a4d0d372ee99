"""The entry point's handling of warnings about the user's input."""

import warnings

from pvdefects.cli.main import show_input_warnings_as_lines
from pvdefects.errors import InputWarning


def test_input_warnings_print_as_one_line_and_others_keep_their_format(capsys, monkeypatch):
    passed_on = []
    monkeypatch.setattr(warnings, "showwarning", lambda message, *rest, **kw: passed_on.append(message))
    show_input_warnings_as_lines()
    warnings.showwarning(InputWarning("label combination too rare"), InputWarning, "split.py", 70)
    assert capsys.readouterr().err == "warning: label combination too rare\n" and passed_on == []
    warnings.showwarning("old", DeprecationWarning, "lib.py", 3)
    assert passed_on == ["old"] and capsys.readouterr().err == ""
